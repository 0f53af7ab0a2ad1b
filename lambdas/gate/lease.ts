/**
 * The stored form of a lease: `"<13-digit expiry ms>#<owner>"`. The fixed-width expiry makes string order
 * equal time order, so "the slot is free" is one comparison in a DynamoDB condition, and the owner lets a
 * release remove only its own lease.
 */

const EXPIRY_DIGITS = 13;
const MAX_EXPIRY = 10 ** EXPIRY_DIGITS - 1;
const LEASE_PATTERN = /^(\d{13})#(.+)$/;

/** Raised when a lease value or expiry cannot be represented or read. */
export class LeaseFormatError extends Error {
  override readonly name = 'LeaseFormatError';
}

/** The 13-digit, zero-padded form of an epoch-ms time. */
export function formatEpochMs(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_EXPIRY) {
    throw new LeaseFormatError(`lease time must be an integer epoch ms from 0 to ${MAX_EXPIRY}, got ${ms}`);
  }
  return ms.toString().padStart(EXPIRY_DIGITS, '0');
}

/** The stored value of a lease expiring at `expiresAt` held by `owner`. */
export function formatLease(expiresAt: number, owner: string): string {
  if (owner.length === 0) throw new LeaseFormatError('lease owner must not be empty');
  return `${formatEpochMs(expiresAt)}#${owner}`;
}

/** Reads a stored lease value; throws {@link LeaseFormatError} naming the value when it is malformed. */
export function parseLease(value: string): { expiresAt: number; owner: string } {
  const match = LEASE_PATTERN.exec(value);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new LeaseFormatError(`lease value "${value}" is not "<13-digit expiry ms>#<owner>"`);
  }
  return { expiresAt: Number(match[1]), owner: match[2] };
}

/**
 * The bound a stored lease must sort below to be free at `now` (expired at or before `now`):
 * `lease < formatEpochMs(now + 1)` ⇔ `expiresAt ≤ now`, because a value sharing the 13 digits sorts after them.
 */
export function freeBelow(now: number): string {
  return formatEpochMs(Math.floor(now) + 1);
}
