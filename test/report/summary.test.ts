import { tilesOf, verdictOf } from '../../local/report/summary';
import { smallRun } from './fixtures';

describe('verdictOf', () => {
  it('GIVEN every check holds and nothing was dead-lettered WHEN the verdict is read THEN it is good news', () => {
    const obs = smallRun({ intents: { enqueued: 10, succeeded: 10, deadLettered: 0, lost: 0, duplicatesCreated: 0 } });

    const verdict = verdictOf(obs);

    expect(verdict.tone).toBe('good');
    expect(verdict.text).toMatch(/^✓ Every check passed: 10 of 10 intents succeeded in 24 s .*1\.20× the ideal/);
  });

  it('GIVEN a broken check WHEN the verdict is read THEN it names the check', () => {
    const obs = smallRun();
    obs.invariants.push({ name: 'lost == 0', holds: false, detail: '2 intents lost' });

    const verdict = verdictOf(obs);

    expect(verdict.tone).toBe('bad');
    expect(verdict.text).toMatch(/^✗ 1 of 4 checks failed \(lost == 0\)/);
  });

  it('GIVEN dead-lettered intents and passing checks WHEN the verdict is read THEN it asks for a look', () => {
    const verdict = verdictOf(smallRun());

    expect(verdict.tone).toBe('warn');
    expect(verdict.text).toContain('1 intent was dead-lettered');
  });

  it('GIVEN no checks were recorded WHEN the verdict is read THEN it does not claim success', () => {
    const verdict = verdictOf(smallRun({ invariants: [] }));

    expect(verdict.tone).toBe('warn');
    expect(verdict.text).toMatch(/^⚠ No checks were recorded/);
  });
});

describe('tilesOf', () => {
  it.each([
    ['under the cap', 3, 'good'],
    ['at the cap', 4, 'good'],
    ['over the cap', 5, 'bad'],
  ])('GIVEN max in flight %s WHEN the tiles are read THEN the in-flight tile is %s', (_, maxInFlight, tone) => {
    const obs = smallRun();
    obs.upstream.maxInFlight = maxInFlight;

    const tile = tilesOf(obs).find((t) => t.label === 'Max in flight / cap');

    expect(tile).toMatchObject({ value: `${maxInFlight} / 4`, tone });
  });

  it('GIVEN critical p99 below bulk p50 WHEN the tiles are read THEN both waits are shown with units', () => {
    const tile = tilesOf(smallRun()).find((t) => t.label === 'Critical p99 wait vs bulk p50');

    expect(tile).toMatchObject({ value: '900 ms vs 9 s', tone: 'good' });
  });

  it('GIVEN a run with a denied AWS call WHEN the tiles are read THEN the IAM tile is bad and names the call', () => {
    const obs = smallRun({
      iam: {
        checked: { dispatcher: { 'sqs:SendMessage': 1 } },
        calls: 1,
        denied: 1,
        denials: [
          { principal: 'dispatcher', action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:1:bulk.fifo' },
        ],
      },
    });

    const tile = tilesOf(obs).find((t) => t.label === 'AWS calls denied by IAM');

    expect(tile).toMatchObject({
      value: '1',
      tone: 'bad',
      detail: 'first: dispatcher sqs:SendMessage on arn:aws:sqs:us-east-1:1:bulk.fifo',
    });
  });

  it('GIVEN a run with invocations abandoned at the timeout WHEN the tiles are read THEN the timeout tile counts them', () => {
    const obs = smallRun({ timeouts: { functionTimeoutSeconds: 30, invocations: 12, count: 2, throttles: 0 } });

    const tile = tilesOf(obs).find((t) => t.label === 'Invocations timed out');

    expect(tile).toMatchObject({ value: '2', tone: 'warn', detail: 'of 12 at the 30 s function timeout; 0 throttled' });
  });

  it('GIVEN a run whose pump paused the lanes WHEN the tiles are read THEN the receives avoided are shown with the pauses', () => {
    const obs = smallRun({ pump: { pauseAfterMs: 300_000, pauses: 3, resumes: 3, receivesAvoided: 42 } });

    const tile = tilesOf(obs).find((t) => t.label === 'Receives avoided');

    expect(tile).toMatchObject({
      value: '42',
      detail: expect.stringMatching(/^lanes paused 3 times .* resumed 3 times$/),
    });
  });
});
