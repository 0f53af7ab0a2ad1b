/**
 * Connection and request timeouts of every AWS SDK client the gate creates (the dispatcher's and the producer
 * client's defaults). Without them the SDK waits for a stalled connection as long as the socket allows, which in
 * Lambda means until the function times out with records half done.
 */

/** Timeouts of one AWS SDK client, in milliseconds. */
export interface AwsClientTimeouts {
  /** Longest wait for a TCP/TLS connection. */
  readonly connectionTimeoutMs: number;
  /** Longest wait for one request's response (each retry gets its own). */
  readonly requestTimeoutMs: number;
}

/** The defaults: 1 s to connect, 5 s per request, well above SQS, DynamoDB and Secrets Manager latencies. */
export const DEFAULT_AWS_CLIENT_TIMEOUTS: AwsClientTimeouts = { connectionTimeoutMs: 1000, requestTimeoutMs: 5000 };

/**
 * Timeouts of the clients of the local emulators: longer connection and request timeouts, because DynamoDB Local
 * and the SQS emulator on a busy 2-core machine accept and answer far slower than AWS.
 */
export const LOCAL_EMULATOR_CLIENT_TIMEOUTS: AwsClientTimeouts = {
  connectionTimeoutMs: 5000,
  requestTimeoutMs: 15_000,
};

/**
 * The timeouts for a function that may run `functionTimeoutSeconds`: the defaults, with the request timeout cut
 * to a sixth of the function timeout when that is shorter (never below 1 s), so a stalled call and its retries
 * still leave the function time to report its batch. Pure.
 */
export function awsClientTimeouts(functionTimeoutSeconds?: number): AwsClientTimeouts {
  if (functionTimeoutSeconds === undefined) return DEFAULT_AWS_CLIENT_TIMEOUTS;
  if (!(Number.isFinite(functionTimeoutSeconds) && functionTimeoutSeconds > 0)) {
    throw new RangeError(`functionTimeoutSeconds must be a positive number, got ${functionTimeoutSeconds}`);
  }
  const sixth = Math.floor((functionTimeoutSeconds * 1000) / 6);
  return {
    connectionTimeoutMs: DEFAULT_AWS_CLIENT_TIMEOUTS.connectionTimeoutMs,
    requestTimeoutMs: Math.max(1000, Math.min(DEFAULT_AWS_CLIENT_TIMEOUTS.requestTimeoutMs, sixth)),
  };
}

/** The client configuration that applies `timeouts` (spread it into any AWS SDK v3 client's configuration). */
export function awsClientConfig(timeouts: AwsClientTimeouts = DEFAULT_AWS_CLIENT_TIMEOUTS) {
  return {
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
