import { formatLease, parseLease } from './lease';
import type { GateCondition, GateNumberAttribute, GatePatch, GateState, LeaseHold } from './types';

/** A patch that writes nothing and relies on nothing. */
export const EMPTY_PATCH: GatePatch = { conditions: [], set: {}, add: {}, remove: [] };

/** True when the patch would change nothing. */
export function isEmptyPatch(patch: GatePatch): boolean {
  return (
    Object.keys(patch.set).length === 0 &&
    Object.keys(patch.add).length === 0 &&
    patch.remove.length === 0 &&
    patch.takeSlot === undefined &&
    patch.freeSlot === undefined
  );
}

/** Combines patches that touch disjoint attributes into one write that needs all their conditions. */
export function mergePatches(...patches: readonly (GatePatch | undefined)[]): GatePatch {
  let merged: GatePatch = EMPTY_PATCH;
  for (const patch of patches) {
    if (patch === undefined) continue;
    merged = {
      conditions: [...merged.conditions, ...patch.conditions],
      set: { ...merged.set, ...patch.set },
      add: { ...merged.add, ...patch.add },
      remove: [...merged.remove, ...patch.remove],
      takeSlot: patch.takeSlot ?? merged.takeSlot,
      freeSlot: patch.freeSlot ?? merged.freeSlot,
    };
  }
  return merged;
}

/**
 * Whether a condition holds on a state: the reference semantics of each {@link GateCondition}, which the
 * DynamoDB adapter's condition expressions reproduce.
 */
export function conditionHolds(state: GateState, condition: GateCondition): boolean {
  switch (condition.kind) {
    case 'slot-free': {
      const held = state.leases[condition.slot];
      return held === undefined || held.expiresAt <= condition.now;
    }
    case 'slot-held':
      return state.leases[condition.slot]?.token === condition.token;
    default: {
      const current = state[condition.attribute];
      switch (condition.kind) {
        case 'equals':
          return current === condition.value;
        case 'absent-or-at-most':
          return current === undefined || current <= condition.value;
        case 'absent-or-below':
          return current === undefined || current < condition.value;
        case 'at-least':
          return current !== undefined && current >= condition.value;
        case 'above':
          return current !== undefined && current > condition.value;
        case 'at-most':
          return current !== undefined && current <= condition.value;
      }
    }
  }
}

/** Whether every condition of a patch holds on a state. */
export function patchApplies(state: GateState, patch: GatePatch): boolean {
  return patch.conditions.every((condition) => conditionHolds(state, condition));
}

/**
 * The state after a patch, as the store would leave it (conditions are not checked; see {@link patchApplies}).
 * `owner` stands in for the random owner the store gives a new lease.
 */
export function applyPatch(state: GateState, patch: GatePatch, owner = 'local'): GateState {
  const next: Record<string, unknown> = { ...state };
  for (const [attribute, value] of Object.entries(patch.set)) next[attribute] = value;
  for (const [attribute, delta] of Object.entries(patch.add)) {
    next[attribute] = ((next[attribute] as number | undefined) ?? 0) + (delta as number);
  }
  for (const attribute of patch.remove) delete next[attribute];
  const leases: Partial<Record<number, LeaseHold>> = { ...state.leases };
  if (patch.freeSlot !== undefined) delete leases[patch.freeSlot];
  if (patch.takeSlot !== undefined) {
    const token = formatLease(patch.takeSlot.expiresAt, owner);
    leases[patch.takeSlot.slot] = { expiresAt: parseLease(token).expiresAt, token };
  }
  next.leases = leases;
  return next as unknown as GateState;
}

/**
 * One write that does `first` and then `second`, where `second` was decided on `afterFirst` (the state `first`
 * leaves): what lets a lease be returned and the next one taken with one UpdateItem. `second`'s conditions on what
 * `first` writes are checked here against `afterFirst` (the write fixes those values), the others go to the store;
 * `second`'s writes win where both write. Undefined when the two cannot be one write: `first` increments an
 * attribute (its value after the write is not known here), `second` frees a slot, or a condition of `second` does
 * not hold on `afterFirst`.
 */
export function composePatches(first: GatePatch, second: GatePatch, afterFirst: GateState): GatePatch | undefined {
  if (Object.keys(first.add).length > 0 || second.freeSlot !== undefined) return undefined;
  const written = new Set<string>([...Object.keys(first.set), ...first.remove]);
  const conditions: GateCondition[] = [...first.conditions];
  for (const condition of second.conditions) {
    const fixed =
      condition.kind === 'slot-free' || condition.kind === 'slot-held'
        ? condition.slot === first.freeSlot
        : written.has(condition.attribute);
    if (!fixed) conditions.push(condition);
    else if (!conditionHolds(afterFirst, condition)) return undefined;
  }
  const secondWrites = new Set<string>([...Object.keys(second.set), ...Object.keys(second.add), ...second.remove]);
  const set: Partial<Record<GateNumberAttribute, number>> = {};
  for (const [attribute, value] of Object.entries(first.set)) {
    if (!secondWrites.has(attribute)) set[attribute as GateNumberAttribute] = value;
  }
  Object.assign(set, second.set);
  const add: Partial<Record<GateNumberAttribute, number>> = {};
  for (const [attribute, delta] of Object.entries(second.add) as [GateNumberAttribute, number][]) {
    if (written.has(attribute)) set[attribute] = (afterFirst[attribute] ?? 0) + delta;
    else add[attribute] = delta;
  }
  const remove = [...first.remove.filter((attribute) => !secondWrites.has(attribute)), ...second.remove];
  const takeSlot = second.takeSlot ?? first.takeSlot;
  const freeSlot = first.freeSlot === takeSlot?.slot ? undefined : first.freeSlot;
  return {
    conditions,
    set,
    add,
    remove,
    ...(takeSlot === undefined ? {} : { takeSlot }),
    ...(freeSlot === undefined ? {} : { freeSlot }),
  };
}
