import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningSimulator, startOutreachSimulator } from '../../local/outreach-sim';
import { accessToken } from '../outreach-sim/helpers';
import { type Pipeline, startPipeline } from '../support/pipeline';
import {
  batchesFor,
  COALESCING_SETTINGS,
  drained,
  enrolment,
  enrolmentCounts,
  once,
  seedProspects,
  statusesOf,
  until,
} from './coalescing-fixtures';

/**
 * A hostile Outreach in front of the simulator: a proxy that refuses to cancel bulk actions (503 without
 * cancelling, or cancels and loses the answer), or answers the bulk action's POST only after the gate's upstream
 * timeout although it performed it. Bulk actions stay pending longer than the members' park, then run once
 * every intent has settled, as Outreach may. Outreach refuses a second active enrolment (as it documents), so a
 * bulk action that runs after its members were enrolled one by one fails item by item.
 */
describe('bulk enrolments gathered into bulk actions: an Outreach that will not cancel', () => {
  let sim: RunningSimulator;
  let proxy: HostileProxy;
  let pipeline: Pipeline;
  let seed: string;

  beforeAll(async () => {
    sim = await startOutreachSimulator({
      ...COALESCING_SETTINGS.simulator,
      resources: { duplicateSequenceState: 'reject' },
    });
    proxy = await startHostileProxy(sim.url);
    const { simulator: _simulator, ...settings } = COALESCING_SETTINGS;
    pipeline = await startPipeline({ ...settings, outreachUrl: proxy.url });
    seed = await accessToken(sim, 'seed');
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    await proxy?.stop();
    await sim?.stop();
  });

  afterEach(() => {
    proxy.rule = forward;
    sim.configure({ batches: COALESCING_SETTINGS.simulator.batches });
  });

  /** Lets every pending bulk action of `prospects` run, and waits until Outreach has none unfinished. */
  async function releaseBulkActions(prospects: readonly number[]): Promise<boolean> {
    sim.configure({ batches: { startDelaySeconds: 0.1, secondsPerItem: 0.005 } });
    return until(
      async () =>
        (await batchesFor(sim, seed, prospects)).every((b) => b.state === 'finished' || b.state === 'canceled'),
      30_000,
      250,
    );
  }

  /** Enrols three fresh prospects tagged `tag` and waits until every intent has settled. */
  async function enrolThree(tag: string) {
    const prospects = await seedProspects(sim, seed, 3, tag);
    const intents = prospects.map((p, n) => enrolment(`${tag}-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      180_000,
    );
    return { prospects, intents, results };
  }

  it('GIVEN a bulk action pending past the park WHEN every cancel is answered 503 and the bulk action runs after its members settled THEN every intent succeeds and each prospect is enrolled once', async () => {
    sim.configure({ batches: { startDelaySeconds: 600 } });
    proxy.rule = (req) => (isCancel(req) ? 'refuse' : 'forward');
    const { prospects, intents, results } = await enrolThree('refused');
    const finished = await releaseBulkActions(prospects);
    expect({
      cancelsRefused: proxy.seen.cancel > 0,
      finished,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      cancelsRefused: true,
      finished: true,
      statuses: allSucceeded(intents),
      enrolments: once(prospects),
    });
  }, 300_000);

  it('GIVEN a bulk action pending past the park WHEN Outreach cancels it but the answer is lost THEN every intent succeeds and each prospect is enrolled once', async () => {
    sim.configure({ batches: { startDelaySeconds: 600 } });
    proxy.rule = (req) => (isCancel(req) ? 'lose-answer' : 'forward');
    const { prospects, intents, results } = await enrolThree('lost-cancel');
    expect({
      cancelsSent: proxy.seen.cancel > 0,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      cancelsSent: true,
      statuses: allSucceeded(intents),
      enrolments: once(prospects),
    });
  }, 300_000);

  it('GIVEN Outreach performs the bulk action but answers its POST after the upstream timeout WHEN it runs before the park ends THEN every intent succeeds and each prospect is enrolled once', async () => {
    proxy.rule = (req) => (isBulkAction(req) ? 'answer-late' : 'forward');
    const { prospects, intents, results } = await enrolThree('late-post');
    expect({
      postedLate: proxy.seen.bulkAction > 0,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      postedLate: true,
      statuses: allSucceeded(intents),
      enrolments: once(prospects),
    });
  }, 300_000);

  it('GIVEN Outreach performs the bulk action, answers its POST after the upstream timeout and keeps it pending past the park WHEN it runs after its members settled THEN every intent succeeds and each prospect is enrolled once', async () => {
    sim.configure({ batches: { startDelaySeconds: 600 } });
    proxy.rule = (req) => (isBulkAction(req) ? 'answer-late' : 'forward');
    const { prospects, intents, results } = await enrolThree('late-pending');
    const finished = await releaseBulkActions(prospects);
    expect({
      finished,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      finished: true,
      statuses: allSucceeded(intents),
      enrolments: once(prospects),
    });
  }, 300_000);
});

/** What every intent's status should be: succeeded. */
const allSucceeded = (intents: ReadonlyArray<{ readonly id: string }>) =>
  Object.fromEntries(intents.map((i) => [i.id, 'succeeded']));

/** What the proxy does with one request. */
type Handling = 'forward' | 'refuse' | 'lose-answer' | 'answer-late';

/** A proxy in front of the simulator whose handling of each request the test chooses. */
interface HostileProxy {
  readonly url: string;
  rule: (req: IncomingMessage) => Handling;
  /** How many cancels and bulk-action POSTs it has seen. */
  readonly seen: { cancel: number; bulkAction: number };
  stop(): Promise<void>;
}

const forward = (): Handling => 'forward';
const isCancel = (req: IncomingMessage) =>
  req.method === 'POST' && /\/batches\/\d+\/actions\/cancel/.test(req.url ?? '');
const isBulkAction = (req: IncomingMessage) =>
  req.method === 'POST' && (req.url ?? '').includes('/batches/actions/prospectsAddToSequence');

/** Longer than `COALESCING_SETTINGS.upstreamTimeoutMs`: the gate has given up by the time the answer comes. */
const LATE_MS = 2500;

const OUTREACH_UNAVAILABLE = JSON.stringify({
  errors: [{ id: 'serviceUnavailable', title: 'Service unavailable', detail: 'Try again later.' }],
});

async function startHostileProxy(target: string): Promise<HostileProxy> {
  const origin = new URL(target);
  const proxy: HostileProxy = {
    url: '',
    rule: forward,
    seen: { cancel: 0, bulkAction: 0 },
    stop: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, Buffer.concat(chunks), res));
  });
  const handle = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    if (isCancel(req)) proxy.seen.cancel += 1;
    if (isBulkAction(req)) proxy.seen.bulkAction += 1;
    const handling = proxy.rule(req);
    if (handling === 'refuse') {
      res.writeHead(503, { 'content-type': 'application/vnd.api+json' }).end(OUTREACH_UNAVAILABLE);
      return;
    }
    const upstream = request(
      { host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          if (handling === 'lose-answer') {
            res.writeHead(503, { 'content-type': 'application/vnd.api+json' }).end(OUTREACH_UNAVAILABLE);
            return;
          }
          const reply = () => {
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(parts));
          };
          if (handling === 'answer-late') setTimeout(reply, LATE_MS);
          else reply();
        });
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
