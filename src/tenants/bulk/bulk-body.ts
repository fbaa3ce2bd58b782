import type { Request } from 'express';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { type FieldProblem, ProblemError } from '../../common/errors/problem.js';
import { parseOrProblem } from '../../common/validation/zod.js';
import { clipName } from '../../common/validation/field-path.js';

/** Largest CSV accepted by a bulk load (JSON bodies are bounded by the JSON body parser). */
export const CSV_LIMIT_BYTES = 5 * 1024 * 1024;

/** One input row of a bulk load, with where it was (CSV line, or JSON index), for the report. */
export interface BulkRow {
  row: number;
  record: Record<string, unknown>;
}

export interface BulkBody {
  format: 'json' | 'csv';
  rows: BulkRow[];
  /** Top-level options (JSON body fields other than the list; CSV: the query string). */
  options: Record<string, unknown>;
}

/** The columns a CSV load's header row must name (case-insensitively; aliases map to a column). */
export interface CsvColumns {
  required: string[];
  optional?: string[];
  aliases?: Record<string, string>;
}

/**
 * The header row, checked: every column known, none twice (an alias counts as its column), every required one
 * there. Otherwise the load is refused as a whole, naming the expected header — not read as every row rejected.
 * Returns the header with each column's canonical name.
 */
function checkedHeader(header: string[], columns: CsvColumns): string[] {
  const known = new Map<string, string>();
  for (const c of [...columns.required, ...(columns.optional ?? [])]) known.set(c.toLowerCase(), c);
  for (const [alias, c] of Object.entries(columns.aliases ?? {})) known.set(alias.toLowerCase(), c);
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const names = header.map((raw) => {
    const name = known.get(raw.toLowerCase());
    if (!name) problems.push({ field: '(csv header)', reason: raw ? `unknown column "${clipName(raw, 50)}"` : 'a column has no name' });
    else if (seen.has(name)) problems.push({ field: '(csv header)', reason: `column ${name} is given more than once` });
    else seen.add(name);
    return name ?? raw;
  });
  for (const c of columns.required) if (!seen.has(c)) problems.push({ field: '(csv header)', reason: `column ${c} is missing` });
  if (problems.length) throw ProblemError.validation(problems, `The CSV header must be ${expectedHeader(columns)}.`);
  return names;
}

const expectedHeader = (columns: CsvColumns) =>
  [...columns.required, ...(columns.optional ?? [])].join(',') + (columns.optional?.length ? ` (${columns.optional.join(', ')} optional)` : '');

const isCsv = (req: Request) => /^(text\/csv|application\/csv)\b/i.test(req.headers['content-type'] ?? '');

/**
 * Reads a bulk load as JSON (`{ [listField]: [...] , ...options }`) or CSV (header row, then one record per line;
 * options from the query string). Rows are returned unchecked: each is validated on its own, so one bad row is
 * rejected in the report instead of failing the whole load.
 */
export async function readBulkBody(req: Request, listField: string, maxRows: number, columns: CsvColumns): Promise<BulkBody> {
  if (isCsv(req)) {
    const text = await readText(req);
    let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
    let header: string[] | undefined;
    try {
      records = parse(text, { columns: (h: string[]) => (header = h.map((c) => String(c).trim())), bom: true, trim: true, skip_empty_lines: true, relax_column_count: false, info: true, max_record_size: 10_000 });
    } catch (e) {
      throw ProblemError.validation([{ field: '(csv)', reason: `the CSV could not be read: ${String((e as Error).message).slice(0, 200)}` }], 'The request body is not valid CSV.');
    }
    if (!header) throw ProblemError.validation([{ field: '(csv header)', reason: 'the CSV is empty; its first line is the header' }], `The CSV header must be ${expectedHeader(columns)}.`);
    const names = checkedHeader(header, columns);
    // Keyed by canonical column names (the records were keyed by the header as written).
    const rename = new Map(header.map((raw, i) => [raw, names[i]!]));
    for (const r of records) r.record = Object.fromEntries(Object.entries(r.record).map(([k, v]) => [rename.get(k) ?? k, v]));
    if (records.length > maxRows) throw ProblemError.validation([{ field: '(csv)', reason: `at most ${maxRows} rows per load` }]);
    const rows = records.map((r) => ({ row: r.info.lines, record: Object.fromEntries(Object.entries(r.record).map(([k, v]) => [k, v === '' ? undefined : v])) }));
    return { format: 'csv', rows, options: { ...(req.query as Record<string, unknown>) } };
  }
  const body = jsonLoadBody(req, `{"${listField}": [...]}`);
  const list = body[listField];
  if (list !== undefined && !Array.isArray(list)) throw ProblemError.validation([{ field: listField, reason: 'must be an array' }]);
  if (Array.isArray(list) && list.length > maxRows) throw ProblemError.validation([{ field: listField, reason: `at most ${maxRows} rows per load` }]);
  const { [listField]: _list, ...options } = body;
  return {
    format: 'json',
    rows: (Array.isArray(list) ? list : []).map((record, i) => ({ row: i, record: record && typeof record === 'object' && !Array.isArray(record) ? (record as Record<string, unknown>) : {} })),
    options,
  };
}

/**
 * A JSON load's body: an object, whose members other than the list are the load's options. A query string beside
 * it would be ignored (a CSV load's options are its query), so it is refused rather than loaded as if not sent.
 */
export function jsonLoadBody(req: Request, example: string): Record<string, unknown> {
  const body = req.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ProblemError.validation([{ field: '(body)', reason: `send JSON like ${example} or text/csv` }], 'The request body has invalid fields.');
  }
  const query = Object.keys((req.query ?? {}) as Record<string, unknown>);
  if (query.length) {
    throw ProblemError.validation([{ field: '(query)', reason: `a JSON load takes its options in the body, not the query string (${query.slice(0, 5).map((k) => JSON.stringify(clipName(k, 50))).join(', ')})` }], 'The request query has invalid fields.');
  }
  return body;
}

/**
 * A load's options, checked against a strict schema: a JSON body's members beside the list, or a CSV load's query
 * string. A key that is no option (`?modee=replace`, `"organisationalRoles"`) is a 422 naming it, never ignored.
 */
export function loadOptions<S extends z.ZodType>(schema: S, body: BulkBody): z.infer<S> {
  return parseOrProblem(schema, body.options, body.format === 'csv' ? 'query' : 'body');
}

async function readText(req: Request): Promise<string> {
  // Normally already read by the text body parser (bootstrap.ts), which the input guard has checked.
  if (typeof req.body === 'string') return checkedUtf8(req.body);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > CSV_LIMIT_BYTES) throw new ProblemError(413, 'Content Too Large', `A CSV load may be at most ${CSV_LIMIT_BYTES} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > CSV_LIMIT_BYTES) throw new ProblemError(413, 'Content Too Large', `A CSV load may be at most ${CSV_LIMIT_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return checkedUtf8(Buffer.concat(chunks).toString('utf8'));
}

function checkedUtf8(text: string): string {
  if (text.includes('\uFFFD')) throw ProblemError.validation([{ field: '(csv)', reason: 'the CSV must be UTF-8' }], 'The request body is not valid CSV.');
  return text;
}
