// Runs the fauxqs SQS emulator on 127.0.0.1 in its own process (fauxqs is ESM-only; the harness in sqs.ts
// is CommonJS). Usage: node sqs-server.mjs <port|0> [--exit-with-parent]
// Prints one line of JSON, {"port": <bound port>}, once it is listening. With --exit-with-parent it exits
// when its stdin closes, which happens when the parent process dies, however it dies.
import { buildApp } from 'fauxqs';

const requestedPort = Number(process.argv[2] ?? '0');
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
  process.stderr.write(`sqs-server: port must be an integer from 0 to 65535, got "${process.argv[2]}"\n`);
  process.exit(2);
}

const app = buildApp({ logger: false });
try {
  await app.listen({ host: '127.0.0.1', port: requestedPort });
} catch (error) {
  process.stderr.write(`sqs-server: cannot listen on 127.0.0.1:${requestedPort}: ${error.message}\n`);
  process.exit(1);
}

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await app.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (process.argv.includes('--exit-with-parent')) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
