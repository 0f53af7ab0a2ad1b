import { loggingGateObserver } from '../../lambdas/gate/observer';

describe('loggingGateObserver', () => {
  it('GIVEN a clamped Retry-After WHEN observed THEN a warning names the user, the header and both times, and it is counted', () => {
    const lines: { message: string; extra?: Record<string, unknown> }[] = [];
    const counted: string[] = [];
    const observer = loggingGateObserver(
      { warn: (message, extra) => lines.push({ message, ...(extra ? { extra } : {}) }) },
      { headerClamped: (user, header) => counted.push(`${user}/${header}`) },
    );

    observer.headerClamped('alice', 'retry-after', Date.UTC(2099, 0, 1), Date.UTC(2026, 0, 2));

    expect(lines[0]?.extra).toEqual({
      user: 'alice',
      header: 'retry-after',
      stated: '2099-01-01T00:00:00.000Z',
      used: '2026-01-02T00:00:00.000Z',
    });
    expect(counted).toEqual(['alice/retry-after']);
  });

  it('GIVEN a stated time beyond what a Date can hold WHEN observed THEN the raw number is logged', () => {
    const lines: Record<string, unknown>[] = [];
    loggingGateObserver({ warn: (_m, extra) => lines.push(extra ?? {}) }).headerClamped('bob', 'retry-after', 1e20, 0);
    expect(lines[0]?.stated).toBe('100000000000000000000');
  });
});
