import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ProblemError } from '../common/errors/problem.js';
import { cursorParam, decodeCursor, encodeCursor, microsecondsUtc } from '../common/validation/keyset-cursor.js';
import { decimalInt, isoInstant } from '../common/validation/zod.js';

const outcomes = ['created', 'updated', 'unchanged', 'refused', 'failed'] as const;

export const auditListQuery = z
  .object({
    user: z.string().trim().min(1).max(254).optional().describe('A user id, a username (case-insensitive) or an identity-provider subject.'),
    outcome: z
      .string()
      .transform((s) => [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))])
      .pipe(z.array(z.enum(outcomes, { error: `must be one or more of ${outcomes.join(', ')}, comma-separated` })).min(1))
      .optional()
      .describe(`One or more of ${outcomes.join(', ')}, comma-separated.`),
    environment: z.enum(['production', 'training']).optional(),
    source: z.enum(['sign-in', 'password', 'scim', 'admin']).optional(),
    from: isoInstant('2026-11-01T00:00:00Z').optional().describe('Inclusive.'),
    to: isoInstant('2026-11-02T00:00:00Z').optional().describe('Exclusive.'),
    limit: decimalInt(1, 200).default(50),
    cursor: cursorParam.optional(),
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { path: ['to'], message: 'must be later than from' });

export type AuditListQuery = z.infer<typeof auditListQuery>;

const createdAtUs = microsecondsUtc('a.created_at');
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditSummary {
  id: string;
  createdAt: string;
  environment: string;
  source: string;
  outcome: string;
  userId: string | null;
  username: string | null;
  subject: string | null;
  configVersion: number | null;
  correlationId: string | null;
  actor: string | null;
  /** Names of the fields this attempt changed (the diff itself is in the whole record). */
  changed: string[];
  reasons: Array<{ field: string; reason: string }>;
  warnings: Array<{ field: string; reason: string }>;
}

/** Account managers' read side of the provisioning audit. */
@Injectable()
export class AuditQuery {
  constructor(private readonly db: DataSource) {}

  async list(tenantId: string, q: AuditListQuery): Promise<{ items: AuditSummary[]; nextCursor: string | null }> {
    const params: unknown[] = [tenantId];
    const where = ['a.tenant_id = $1'];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (q.user) {
      const clauses = [`a.subject = ${p(q.user)}`, `lower(normalize(a.username, NFKC)) = lower(normalize(${p(q.user)}, NFKC))`];
      if (uuidShape.test(q.user)) clauses.push(`a.user_id = ${p(q.user)}::uuid`);
      where.push(`(${clauses.join(' OR ')})`);
    }
    if (q.outcome) where.push(`a.outcome = ANY(${p(q.outcome)}::text[])`);
    if (q.environment) where.push(`a.environment = ${p(q.environment)}`);
    if (q.source) where.push(`a.source = ${p(q.source)}`);
    if (q.from) where.push(`a.created_at >= ${p(q.from)}::timestamptz`);
    if (q.to) where.push(`a.created_at < ${p(q.to)}::timestamptz`);
    if (q.cursor) {
      const [t, id] = decodeCursor(q.cursor);
      where.push(`(a.created_at, a.id) < (${p(t)}::timestamptz, ${p(id)}::uuid)`);
    }
    const rows: Array<Record<string, any>> = await this.db.query(
      `SELECT a.id, ${createdAtUs} AS created_at, a.environment, a.source, a.outcome, a.user_id, a.username, a.subject, a.config_version,
              a.correlation_id, a.actor, ARRAY(SELECT jsonb_object_keys(a.changes) ORDER BY 1) AS changed, a.reasons, a.warnings
         FROM provisioning_audit a
        WHERE ${where.join(' AND ')}
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT ${p(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id, createdAt: r.created_at, environment: r.environment, source: r.source, outcome: r.outcome, userId: r.user_id, username: r.username,
        subject: r.subject, configVersion: r.config_version, correlationId: r.correlation_id, actor: r.actor, changed: r.changed, reasons: r.reasons, warnings: r.warnings,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** One attempt whole: the diff, where each value came from, reasons, warnings, the (redacted) claims. */
  async get(tenantId: string, id: string) {
    const rows: Array<Record<string, any>> = await this.db.query(
      `SELECT a.*, ${createdAtUs} AS created_at_us FROM provisioning_audit a WHERE a.tenant_id = $1 AND a.id = $2`, [tenantId, id],
    );
    const r = rows[0];
    if (!r) throw ProblemError.notFound('Audit record');
    return {
      id: r.id, createdAt: r.created_at_us, tenantId: r.tenant_id, environment: r.environment, source: r.source, outcome: r.outcome,
      configVersion: r.config_version, issuer: r.issuer, subject: r.subject, username: r.username, userId: r.user_id, actor: r.actor,
      correlationId: r.correlation_id, changes: r.changes, sources: r.sources, reasons: r.reasons, warnings: r.warnings,
      /** Redacted per the README's policy; null once AUDIT_CLAIMS_RETENTION_DAYS have passed. */
      claims: r.claims,
    };
  }
}
