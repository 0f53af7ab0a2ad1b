import { deferralSeconds, MAX_DEFERRAL_SECONDS } from '../../lambdas/dispatcher/dispatch';

const config = { maxInProcessWaitMs: 2000, jitterMs: 1000, recycleAtReceiveCount: 950 };
const now = 1_000_000;

describe('deferralSeconds', () => {
  it.each([
    ['a budget reset 10.4 s away, no jitter drawn', { untilMs: now + 10_400, reason: 'budget' }, 0, 10],
    ['a budget reset 10.4 s away, the most jitter', { untilMs: now + 10_400, reason: 'budget' }, 0.999, 9],
    ['a cool-down 3 s away', { untilMs: now + 3000, reason: 'cooldown' }, 0.5, 2],
    ['a wait already over', { untilMs: now - 50, reason: 'cooldown' }, 0.5, 0],
    ['a wait beyond SQS maximum', { untilMs: now + 50 * 3600_000, reason: 'budget' }, 0, MAX_DEFERRAL_SECONDS],
    ['a backoff of 2.2 s, never shortened', { untilMs: now + 2200, reason: 'backoff' }, 0.999, 3],
  ])('GIVEN %s THEN the message is hidden for the expected whole seconds', (_name, wait, random, seconds) => {
    expect(deferralSeconds(wait, now, config, () => random)).toBe(seconds);
  });

  it('GIVEN any gate wait and jitter THEN the message is back no later than the wait ends and no earlier than the in-process wait can cover', () => {
    for (let waitMs = 0; waitMs < 20_000; waitMs += 137) {
      for (const random of [0, 0.3, 0.7, 0.999]) {
        const back = deferralSeconds({ untilMs: now + waitMs, reason: 'budget' }, now, config, () => random) * 1000;
        expect({ notLate: back <= waitMs, notTooEarly: waitMs - back <= config.maxInProcessWaitMs }).toEqual({
          notLate: true,
          notTooEarly: true,
        });
      }
    }
  });
});
