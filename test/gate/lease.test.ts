import { formatEpochMs, formatLease, freeBelow, LeaseFormatError, parseLease } from '../../lambdas/gate/lease';

describe('lease values', () => {
  it('GIVEN an expiry and owner WHEN formatted and parsed THEN both come back', () => {
    const value = formatLease(1_768_478_460_123, 'abc');
    expect(value).toBe('1768478460123#abc');
    expect(parseLease(value)).toEqual({ expiresAt: 1_768_478_460_123, owner: 'abc' });
  });

  it('GIVEN a small epoch WHEN formatted THEN it is zero-padded to 13 digits so string order is time order', () => {
    expect(formatEpochMs(42)).toBe('0000000000042');
    expect(formatLease(999, 'z') < formatLease(1000, 'a')).toBe(true);
  });

  it.each([
    ['expired before now', 999, true],
    ['expiring exactly now', 1000, true],
    ['expiring after now', 1001, false],
  ])('GIVEN a lease %s WHEN compared with freeBelow(now) THEN the slot is free: %s', (_case, expiresAt, free) => {
    const now = 1000;
    expect(formatLease(expiresAt, 'owner') < freeBelow(now)).toBe(free);
  });

  it.each(['', '123#abc', '1768478460123', '1768478460123#', 'x768478460123#abc'])(
    'GIVEN the malformed value %p WHEN parsed THEN it fails naming the value',
    (value) => {
      expect(() => parseLease(value)).toThrow(LeaseFormatError);
      expect(() => parseLease(value)).toThrow(`"${value}"`);
    },
  );

  it.each([-1, 1.5, 10 ** 13])('GIVEN the unrepresentable time %d WHEN formatted THEN it fails', (ms) => {
    expect(() => formatEpochMs(ms)).toThrow(LeaseFormatError);
  });
});
