import { formatLease, parseLease } from './lease';
import type { GateCondition, GatePatch, GateState, LeaseHold } from './types';

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
