/**
 * Throughput benchmark of the Outreach simulator: `npm run bench:sim [-- --requests 20000 --concurrency 64]`.
 *
 * The simulator runs in its own process (as `npm run outreach-sim` would) with all bookkeeping on: per-user
 * budgets, penalty mode, a concurrency cap, statistics and the per-second timeline. Keep-alive clients on
 * loopback send a mix of reads by id with sparse fieldsets, e-mail look-ups and creates. The run is bounded
 * in requests and in time; it prints requests/s and p50/p99 latency.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Result {
  status: number;
  body: string;
}

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    users: { type: 'string', default: '4' },
    'max-seconds': { type: 'string', default: '60' },
  },
});
const TOTAL = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const USERS = Array.from({ length: Number(values.users) }, (_, i) => `bench${i + 1}`);
const MAX_MS = Number(values['max-seconds']) * 1000;
const SEED_PROSPECTS = 200;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts the simulator in a child process and resolves with its origin URL. */
function startSimulator(): Promise<{ child: ChildProcess; url: string }> {
  const root = path.resolve(__dirname, '..');
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      'local/outreach-sim/cli.ts',
      '--port',
      '0',
      '--users',
      USERS.join(','),
      '--budget',
      String(10 * TOTAL),
      '--window-seconds',
      '3600',
      '--penalty',
      '--concurrency-cap',
      String(CONCURRENCY * 2),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`simulator did not start:\n${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}:\n${output}`)));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const { child, url } = await startSimulator();
  try {
    const api = `${url}/api/v2`;
    const tokens: string[] = [];
    for (const user of USERS) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'sim-client',
        client_secret: 'sim-secret',
        refresh_token: `refresh-${user}`,
      }).toString();
      const minted = await request(
        `${url}/oauth/token`,
        'POST',
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
        form,
      );
      tokens.push((JSON.parse(minted.body) as { access_token: string }).access_token);
    }
    const headersFor = (i: number): Record<string, string> => ({
      'content-type': 'application/vnd.api+json',
      authorization: `Bearer ${tokens[i % tokens.length]}`,
    });
    const prospect = (i: number): string =>
      JSON.stringify({ data: { type: 'prospect', attributes: { firstName: `P${i}`, emails: [`p${i}@example.com`] } } });
    for (let i = 0; i < SEED_PROSPECTS; i += 1) await request(`${api}/prospects`, 'POST', headersFor(i), prospect(i));

    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let issued = 0;
    const started = performance.now();
    const deadline = started + MAX_MS;
    const worker = async (): Promise<void> => {
      while (issued < TOTAL && performance.now() < deadline) {
        const i = issued;
        issued += 1;
        const kind = i % 10;
        const t0 = performance.now();
        let result: Result;
        if (kind < 7) {
          const id = 1 + (i % SEED_PROSPECTS);
          result = await request(`${api}/prospects/${id}?fields[prospect]=firstName,emails`, 'GET', headersFor(i));
        } else if (kind < 9) {
          const email = `p${i % SEED_PROSPECTS}@example.com`;
          result = await request(`${api}/prospects?filter[emails]=${email}&page[size]=10`, 'GET', headersFor(i));
        } else {
          result = await request(`${api}/prospects`, 'POST', headersFor(i), prospect(SEED_PROSPECTS + i));
        }
        latencies.push(performance.now() - t0);
        statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    const stats = JSON.parse((await request(`${url}/__sim/stats`, 'GET', {})).body) as {
      total: { requests: number; peakInFlight: number; timeline: unknown[] };
    };
    const rate = latencies.length / (elapsedMs / 1000);
    process.stdout.write(
      [
        `requests      ${latencies.length} (${CONCURRENCY} keep-alive clients, ${USERS.length} users, loopback)`,
        `elapsed       ${(elapsedMs / 1000).toFixed(2)} s`,
        `throughput    ${Math.round(rate)} requests/s`,
        `latency       p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
        `statuses      ${JSON.stringify(statuses)}`,
        `simulator     counted ${stats.total.requests} API requests, peak in flight ${stats.total.peakInFlight}, ${stats.total.timeline.length} timeline seconds`,
        rate >= 2000 ? 'OK: at least 2,000 requests/s' : 'BELOW the 2,000 requests/s target',
        '',
      ].join('\n'),
    );
    if (rate < 2000) process.exitCode = 1;
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
