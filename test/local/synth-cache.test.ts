import { randomUUID } from 'node:crypto';
import { diskCached } from '../../local/iam/synth-cache';

const codec = {
  toJson: (value: Map<string, number>) => [...value],
  fromJson: (json: unknown) => {
    if (!Array.isArray(json)) throw new Error('corrupt');
    return new Map(json as Array<[string, number]>);
  },
};

describe('the synthesized-stack cache on disk', () => {
  it('GIVEN a value built once WHEN the same key is asked for again THEN it is read back without building', () => {
    const key = `test-${randomUUID()}`;
    let builds = 0;
    const build = () => {
      builds += 1;
      return new Map([['a', 1]]);
    };

    const first = diskCached(key, build, codec);
    const second = diskCached(key, build, codec);

    expect({ builds, first: [...first], second: [...second] }).toEqual({
      builds: 1,
      first: [['a', 1]],
      second: [['a', 1]],
    });
  });

  it('GIVEN two different keys WHEN each is asked for THEN each is built', () => {
    let builds = 0;
    const build = () => {
      builds += 1;
      return new Map([['b', builds]]);
    };

    diskCached(`test-${randomUUID()}`, build, codec);
    diskCached(`test-${randomUUID()}`, build, codec);

    expect(builds).toBe(2);
  });
});
