import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { LaneSwitch } from '../monitor/ports';
import type { Lane } from '../shared/names';

/** Options of {@link LambdaEventSourceSwitch}. */
export interface LambdaEventSourceSwitchOptions {
  /** The event source mapping ids (UUIDs) of each lane. */
  readonly mappings: Readonly<Record<Lane, readonly string[]>>;
  readonly region: string;
  /** Lambda API endpoint. @default `https://lambda.<region>.amazonaws.com` */
  readonly endpoint?: string;
  /** @default the AWS SDK's default credential chain */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Raised when Lambda refuses to change a mapping; the message names the mapping and Lambda's answer. */
export class LaneSwitchError extends Error {
  override readonly name = 'LaneSwitchError';
}

/** SHA-256 (and HMAC-SHA-256 with a secret) from node:crypto, in the shape the SigV4 signer expects. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(new Uint8Array(data));
}

/**
 * {@link LaneSwitch} over Lambda's UpdateEventSourceMapping (`PUT /2015-03-31/event-source-mappings/{UUID}`),
 * signed with SigV4. A disabled mapping makes no receives and no invocations; enabling it resumes the lane.
 */
export class LambdaEventSourceSwitch implements LaneSwitch {
  private readonly signer: SignatureV4;
  private readonly endpoint: URL;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: LambdaEventSourceSwitchOptions) {
    if (options.region.trim() === '') throw new LaneSwitchError('region must not be empty');
    this.endpoint = new URL(options.endpoint ?? `https://lambda.${options.region}.amazonaws.com`);
    this.signer = new SignatureV4({
      service: 'lambda',
      region: options.region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: NodeSha256,
    });
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async setEnabled(lane: Lane, enabled: boolean): Promise<void> {
    const ids = this.options.mappings[lane];
    if (ids === undefined) throw new LaneSwitchError(`no event source mappings known for lane "${lane}"`);
    for (const id of ids) await this.update(id, enabled);
  }

  private async update(id: string, enabled: boolean): Promise<void> {
    const path = `/2015-03-31/event-source-mappings/${encodeURIComponent(id)}`;
    const body = JSON.stringify({ Enabled: enabled });
    const signed = await this.signer.sign({
      method: 'PUT',
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      ...(this.endpoint.port === '' ? {} : { port: Number(this.endpoint.port) }),
      path,
      query: {},
      headers: { host: this.endpoint.host, 'content-type': 'application/json' },
      body,
    });
    const response = await this.fetch(new URL(path, this.endpoint), {
      method: 'PUT',
      headers: signed.headers,
      body,
    });
    if (!response.ok) {
      throw new LaneSwitchError(
        `UpdateEventSourceMapping ${id} (Enabled=${enabled}) failed: ${response.status} ${await response.text()}`,
      );
    }
  }
}
