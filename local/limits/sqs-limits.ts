/**
 * SQS's request limits, enforced on the local clients before a call is sent, because the emulator is more lenient
 * than SQS: at most 10 entries per batch request, 256 KiB per message and per batch request, 10 messages per
 * receive, a visibility timeout of at most 12 hours and a delay of at most 15 minutes. A call over a limit fails
 * as SQS would fail it, with a message naming the limit and the value.
 */

/** The limits, as SQS documents them. */
export const SQS_REQUEST_LIMITS = {
  batchEntries: 10,
  messageBytes: 262_144,
  batchRequestBytes: 262_144,
  receiveMessages: 10,
  visibilityTimeoutSeconds: 43_200,
  delaySeconds: 900,
} as const;

/** A call SQS would refuse for breaking one of its limits. */
export class SqsLimitError extends Error {
  override readonly name: string;
  readonly $fault = 'client';
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

interface MessageInput {
  readonly MessageBody?: string;
  readonly MessageAttributes?: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Uint8Array }>;
  readonly DelaySeconds?: number;
  readonly VisibilityTimeout?: number;
}

/** Bytes of one message as SQS counts them: body plus each attribute's name, data type and value. */
export function sqsMessageBytes(message: MessageInput): number {
  let bytes = Buffer.byteLength(message.MessageBody ?? '', 'utf8');
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    bytes += value.StringValue !== undefined ? Buffer.byteLength(value.StringValue, 'utf8') : 0;
    bytes += value.BinaryValue?.byteLength ?? 0;
  }
  return bytes;
}

/** The limit `operation` with `input` breaks, as the error SQS would answer; undefined when within limits. Pure. */
export function sqsLimitViolation(operation: string, input: Record<string, unknown>): SqsLimitError | undefined {
  const entries = (input.Entries as MessageInput[] | undefined) ?? [];
  if (operation.endsWith('Batch') && entries.length > SQS_REQUEST_LIMITS.batchEntries) {
    return new SqsLimitError(
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      `${operation} carries ${entries.length} entries; SQS allows ${SQS_REQUEST_LIMITS.batchEntries} per batch request`,
    );
  }
  const messages =
    operation === 'SendMessage' ? [input as MessageInput] : operation === 'SendMessageBatch' ? entries : [];
  for (const message of messages) {
    const bytes = sqsMessageBytes(message);
    if (bytes > SQS_REQUEST_LIMITS.messageBytes) {
      return new SqsLimitError(
        'InvalidParameterValue',
        `${operation}: a message of ${bytes} bytes (body and attributes); SQS allows ${SQS_REQUEST_LIMITS.messageBytes} (256 KiB)`,
      );
    }
    if ((message.DelaySeconds ?? 0) > SQS_REQUEST_LIMITS.delaySeconds) {
      return new SqsLimitError(
        'InvalidParameterValue',
        `${operation}: DelaySeconds ${message.DelaySeconds}; SQS allows at most ${SQS_REQUEST_LIMITS.delaySeconds}`,
      );
    }
  }
  if (operation === 'SendMessageBatch') {
    const total = entries.reduce((sum, entry) => sum + sqsMessageBytes(entry), 0);
    if (total > SQS_REQUEST_LIMITS.batchRequestBytes) {
      return new SqsLimitError(
        'AWS.SimpleQueueService.BatchRequestTooLong',
        `SendMessageBatch carries ${total} bytes of messages; SQS allows ${SQS_REQUEST_LIMITS.batchRequestBytes} (256 KiB) per batch request`,
      );
    }
  }
  const receive = input.MaxNumberOfMessages as number | undefined;
  if (operation === 'ReceiveMessage' && receive !== undefined && receive > SQS_REQUEST_LIMITS.receiveMessages) {
    return new SqsLimitError(
      'InvalidParameterValue',
      `ReceiveMessage asks for ${receive} messages; SQS returns at most ${SQS_REQUEST_LIMITS.receiveMessages}`,
    );
  }
  const visibility = operation.startsWith('ChangeMessageVisibility')
    ? [input as MessageInput, ...entries].map((m) => m.VisibilityTimeout ?? 0)
    : [];
  const longest = Math.max(0, ...visibility);
  if (longest > SQS_REQUEST_LIMITS.visibilityTimeoutSeconds) {
    return new SqsLimitError(
      'InvalidParameterValue',
      `${operation}: VisibilityTimeout ${longest}; SQS allows at most ${SQS_REQUEST_LIMITS.visibilityTimeoutSeconds} (12 hours)`,
    );
  }
  return undefined;
}

/** Makes `client` (an SQS client) refuse calls that break SQS's limits, before they are sent. Returns the client. */
export function enforceSqsLimits<T extends object>(client: T): T {
  (
    client as unknown as {
      middlewareStack: {
        add(
          mw: (
            next: (args: { input: object }) => Promise<unknown>,
            context: { commandName?: string },
          ) => (args: { input: object }) => Promise<unknown>,
          options: { step: 'initialize'; name: string; override: boolean },
        ): void;
      };
    }
  ).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const violation = sqsLimitViolation(operation, args.input as Record<string, unknown>);
      if (violation) throw violation;
      return next(args);
    },
    { step: 'initialize', name: 'enforceSqsLimits', override: true },
  );
  return client;
}
