import { parseStartArgs, UsageError } from '../../local/start-args';

describe('npm start arguments', () => {
  it('GIVEN no arguments WHEN parsed THEN the demo runs with the report in ./report/', () => {
    expect(parseStartArgs([])).toEqual({ kind: 'run', scenario: 'demo', reportDir: './report/' });
  });

  it('GIVEN every run option WHEN parsed THEN each is read', () => {
    expect(
      parseStartArgs([
        '--scenario',
        'smoke',
        '--users',
        'a,b',
        '--time-scale',
        '240',
        '--duration',
        '90',
        '--report-dir',
        'out',
      ]),
    ).toEqual({
      kind: 'run',
      scenario: 'smoke',
      users: ['a', 'b'],
      timeScale: 240,
      durationSeconds: 90,
      reportDir: 'out',
    });
  });

  it('GIVEN --outreach-url with credentials WHEN parsed THEN the users are those given refresh tokens', () => {
    expect(
      parseStartArgs([
        '--outreach-url',
        'http://127.0.0.1:8080',
        '--client-id',
        'id',
        '--client-secret',
        'secret',
        '--refresh-token',
        'u1=t1',
        '--refresh-token',
        'u2=t=2',
      ]),
    ).toEqual({
      kind: 'run',
      scenario: 'demo',
      reportDir: './report/',
      users: ['u1', 'u2'],
      outreach: {
        url: 'http://127.0.0.1:8080',
        credentials: { clientId: 'id', clientSecret: 'secret', refreshTokens: { u1: 't1', u2: 't=2' } },
      },
    });
  });

  it.each([['--help'], ['-h']])('GIVEN %s WHEN parsed THEN help is asked for', (flag) => {
    expect(parseStartArgs([flag])).toEqual({ kind: 'help' });
  });

  const outreach = ['--outreach-url', 'http://x.test', '--client-id', 'id', '--client-secret', 's'];
  it.each([
    ['an unknown scenario', ['--scenario', 'nope'], '--scenario must be one of'],
    ['a time scale that is not a number', ['--time-scale', 'fast'], '--time-scale must be a number ≥ 1, got "fast"'],
    ['a time scale below 1', ['--time-scale', '0.5'], '--time-scale must be a number ≥ 1'],
    ['a duration of 0', ['--duration', '0'], '--duration must be a number ≥ 1'],
    ['an invalid user', ['--users', 'u1,,u2'], '--users entry ""'],
    ['a user twice', ['--users', 'u1,u1'], '--users lists a user twice'],
    ['an unknown option', ['--colour'], "Unknown option '--colour'"],
    ['an option without its value', ['--scenario'], "Option '--scenario <value>' argument missing"],
    ['a stray argument', ['demo'], 'unexpected argument "demo"'],
    ['an empty report directory', ['--report-dir', ''], '--report-dir must not be empty'],
    [
      'a URL that is not http',
      ['--outreach-url', 'ftp://x', '--client-id', 'i', '--client-secret', 's'],
      '--outreach-url must be an http(s) URL',
    ],
    ['a URL without a client id', ['--outreach-url', 'http://x.test'], '--client-id is required'],
    ['a URL without refresh tokens', outreach, '--refresh-token USER=TOKEN is required'],
    ['a refresh token without a user', [...outreach, '--refresh-token', '=t'], '--refresh-token must be USER=TOKEN'],
    [
      'a user without a refresh token',
      [...outreach, '--refresh-token', 'u1=t', '--users', 'u1,u2'],
      'missing for user "u2"',
    ],
    ['credentials without a URL', ['--client-id', 'id'], '--client-id is only used with --outreach-url'],
  ])('GIVEN %s WHEN parsed THEN a UsageError names the argument', (_case, argv, message) => {
    expect(() => parseStartArgs(argv)).toThrow(
      expect.objectContaining({ name: UsageError.name, message: expect.stringContaining(message) }),
    );
  });
});
