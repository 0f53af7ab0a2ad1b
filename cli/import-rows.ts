import { extname } from 'node:path';
import {
  type Intent,
  type IntentIssue,
  OPERATION_TYPES,
  type OperationType,
  safeParseIntent,
} from '../lambdas/shared/intent';
import type { Lane } from '../lambdas/shared/names';

/** Raised for a file that cannot be read as rows at all; the message names the line. */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
}

/** What every row of an import shares: the lane, the user and the operation type. */
export interface ImportDefaults {
  readonly lane: Lane;
  readonly user: string;
  readonly operation: OperationType;
}

/** One row that is not a valid intent: its number in the file (from 1, the header not counted) and what is wrong. */
export interface RowProblem {
  readonly row: number;
  readonly issues: readonly IntentIssue[];
}

/** The rows of an import, validated: every valid intent in file order and every bad row. */
export interface ValidatedRows {
  readonly intents: readonly Intent[];
  readonly problems: readonly RowProblem[];
}

/** Columns that belong to the intent envelope; every other column is a field of the operation. */
const ENVELOPE_FIELDS = ['id', 'orderingKey', 'deadline', 'correlationId', 'fields'] as const;
/** Envelope fields that are always text, even when they look like numbers. */
const TEXT_FIELDS = new Set(['id', 'orderingKey', 'deadline', 'correlationId']);

/** The operation type named by `--operation`, or an error listing the known ones. */
export function parseOperationType(value: string): OperationType {
  if ((OPERATION_TYPES as readonly string[]).includes(value)) return value as OperationType;
  throw new ImportFileError(`--operation must be one of ${OPERATION_TYPES.join(', ')}, got "${value}"`);
}

/**
 * Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes as `""` and line breaks). Pure.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRecord();
    else if (c !== '\r') field += c;
    i += 1;
  }
  if (quoted) throw new ImportFileError('the CSV file ends inside a quoted field');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/** A CSV cell as a value: JSON (numbers, lists, objects, true/false) when it reads as JSON, else the text. */
function cellValue(column: string, cell: string): unknown {
  if (TEXT_FIELDS.has(column) || cell === '') return cell;
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}

/** Sets `value` at a dotted path (`attributes.firstName`) of `target`. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node[part] = next !== null && typeof next === 'object' ? next : {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** The rows of a CSV file (a header of dotted field names, then one row each) as plain objects. Pure. */
export function csvRows(text: string): Record<string, unknown>[] {
  const [header, ...records] = parseCsv(text);
  if (header === undefined) return [];
  return records.map((record, index) => {
    if (record.length !== header.length) {
      throw new ImportFileError(`row ${index + 1}: has ${record.length} fields, the header has ${header.length}`);
    }
    const row: Record<string, unknown> = {};
    header.forEach((column, position) => {
      const cell = record[position] ?? '';
      if (cell !== '') setPath(row, column.trim(), cellValue(column.trim(), cell));
    });
    return row;
  });
}

/** The rows of a JSON Lines file (one JSON object a line; blank lines ignored). Pure. */
export function jsonlRows(text: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ImportFileError(`line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ImportFileError(`line ${index + 1}: must be a JSON object`);
    }
    rows.push(value as Record<string, unknown>);
  });
  return rows;
}

/** Reads a file's rows by its extension: `.csv` or `.jsonl`. */
export function rowsOf(fileName: string, text: string): Record<string, unknown>[] {
  const extension = extname(fileName).toLowerCase();
  if (extension === '.csv') return csvRows(text);
  if (extension === '.jsonl' || extension === '.ndjson') return jsonlRows(text);
  throw new ImportFileError(`${fileName}: the file must end in .csv or .jsonl`);
}

/** The intent a row describes: envelope fields from the row, the rest as the operation's fields. Pure. */
export function rowToIntent(row: Record<string, unknown>, defaults: ImportDefaults): Record<string, unknown> {
  const envelope: Record<string, unknown> = {};
  const operation: Record<string, unknown> = { type: defaults.operation };
  for (const [name, value] of Object.entries(row)) {
    if ((ENVELOPE_FIELDS as readonly string[]).includes(name)) envelope[name] = value;
    else operation[name] = value;
  }
  return { v: 1, ...envelope, user: defaults.user, lane: defaults.lane, operation };
}

/**
 * Validates every row as an intent with the producer's schema, and ids used twice in the file. Pure.
 * Issues name the row and the field: `row 3: operation.prospectId: must be a number`.
 */
export function validateRows(rows: readonly Record<string, unknown>[], defaults: ImportDefaults): ValidatedRows {
  const intents: Intent[] = [];
  const problems: RowProblem[] = [];
  const rowOfId = new Map<string, number>();
  rows.forEach((row, index) => {
    const number = index + 1;
    const parsed = safeParseIntent(rowToIntent(row, defaults));
    if (!parsed.success) {
      problems.push({ row: number, issues: parsed.error.issues });
      return;
    }
    const earlier = rowOfId.get(parsed.intent.id);
    if (earlier !== undefined) {
      problems.push({
        row: number,
        issues: [{ path: 'id', message: `"${parsed.intent.id}" is also the id of row ${earlier}` }],
      });
      return;
    }
    rowOfId.set(parsed.intent.id, number);
    intents.push(parsed.intent);
  });
  return { intents, problems };
}

/** Each problem as one line per issue: `row 3: operation.prospectId: must be a number`. Pure. */
export function formatRowProblems(problems: readonly RowProblem[]): string[] {
  return problems.flatMap((problem) =>
    problem.issues.map((issue) => `row ${problem.row}: ${issue.path}: ${issue.message}`),
  );
}
