import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { AppConfig } from '../config/app-config.js';
import { DirectoryDatabases } from '../database/directory-databases.js';
import { type ConfigChange, diffConfigs } from './config-diff.js';
import { claimsOf, conflictingClaims, conflictReason, DOMAIN_CLAIMS_LOCK, fieldOfClaim } from './domain-claims.js';
import { type ConfigCheck, type ConfigInput, ConfigValidator } from './config-validator.js';
import type { Discover } from './okta-discovery.js';
import type { TenantConfig, TrainingConfigInput } from './tenant-config.schema.js';
import { TenantConfigVersionEntity, TenantEntity, TenantSecretEntity } from './tenant.entities.js';
import { type CreateTenantInput, databaseTarget, type UpdateConfigInput } from './tenant-inputs.js';

/** A configuration as the admin API shows it: the secret only as a reference (whether set, which, when). */
export type ConfigView = Omit<TenantConfig, 'okta' | 'training'> & {
  okta: Omit<TenantConfig['okta'], 'clientSecretId'> & { clientSecret: { set: true; id: string; updatedAt: string } };
  /** The training database URL only as "set": where it points is `databaseTarget`. */
  training: Omit<StoredTraining, 'databaseUrlSecretId'> & { databaseUrl?: { set: true } };
};

export interface TenantView {
  id: string;
  slug: string;
  name: string;
  status: string;
  activeVersion: number | null;
  latestVersion: number | null;
  /** Versions staged and not yet activated. */
  drafts: number[];
  /** The configuration in force, without any secret. */
  config: ConfigView | null;
  createdAt: string;
  updatedAt: string;
  /** Set on the answer to a save: what the checks found worth knowing. */
  warnings?: FieldProblem[];
}

export type VersionStatus = 'draft' | 'active' | 'superseded' | 'discarded';

export interface VersionView {
  version: number;
  status: VersionStatus;
  author: string;
  authorName: string | null;
  createdAt: string;
  note: string | null;
  baseVersion: number | null;
  /** The last check of this version (at save, by POST .../check, or at activation). */
  check: { at: string; ok: boolean; problems: FieldProblem[]; warnings: FieldProblem[] } | null;
  activations: Array<{ kind: 'activate' | 'rollback'; actor: string; at: string; previousVersion: number | null; note: string | null }>;
  /** Against `against` (default: the version in force when this one was written). */
  diff: { against: number | null; changes: ConfigChange[] };
  config?: ConfigView;
}

export interface SecretView {
  id: string;
  label: string | null;
  status: 'in-use' | 'staged' | 'retired';
  usedByVersions: number[];
  createdBy: string;
  createdAt: string;
  retiredAt: string | null;
}

/** What a sealed tenant secret is for; bound into the ciphertext, so one can never be opened as the other. */
export type SecretPurpose = 'client-secret' | 'training-database-url';
export const secretAad = (tenantId: string, purpose: SecretPurpose = 'client-secret') =>
  purpose === 'client-secret' ? `tenant-client-secret:${tenantId}` : `tenant-training-database-url:${tenantId}`;
type StoredTraining = NonNullable<TenantConfig['training']>;

/** What an activation or a rollback says beside the version: a note, its base (409 if stale), and for a draft whether to undo newer versions on purpose. */
export interface BringIntoForceInput {
  note?: string;
  baseVersion?: number;
  replaceNewer?: boolean;
}

/**
 * Account managers' changes to tenants. Every save is a new immutable version with author, time and a diff;
 * a version is staged as a draft, checked, activated, and may be rolled back to. Every save and every
 * activation is validated (ConfigValidator) with a per-field reason for each problem.
 */
@Injectable()
export class TenantsService {
  constructor(
    private readonly db: DataSource,
    private readonly validator: ConfigValidator,
    private readonly box: SecretBox,
    config: AppConfig,
    private readonly directories: DirectoryDatabases,
  ) {
    this.loginStateTtl = config.env.LOGIN_STATE_TTL_S;
  }

  private readonly loginStateTtl: number;

  async create(input: CreateTenantInput, actor: string): Promise<TenantView> {
    const check = await this.validator.validate(input.config);
    await this.checkTrainingUrl(null, input.config.training, input.trainingDatabaseUrl, check);
    if (await this.db.getRepository(TenantEntity).existsBy({ slug: input.slug })) {
      check.problems.unshift({ field: 'slug', reason: `a tenant "${input.slug}" already exists` });
      check.conflict = true;
    }
    refuseUnlessOk(check, 'The tenant was not created.');
    checkTraining(input.config.training, input.trainingDatabaseUrl, undefined);
    const tenantId = await this.inTransaction(async (m) => {
      const tenant = await m.getRepository(TenantEntity).save({ slug: input.slug, name: input.name, status: 'active', activeVersion: null });
      const secretId = await this.sealSecret(m, tenant.id, input.clientSecret, actor, 'initial');
      const training = await this.storedTraining(m, tenant.id, input.config.training, input.trainingDatabaseUrl, undefined, actor);
      const config = { ...input.config, okta: { ...input.config.okta, endpoints: check.endpoints!, clientSecretId: secretId }, training };
      await this.insertVersion(m, tenant.id, 1, config, 'draft', actor, 'created', null, check);
      await this.putInForce(m, tenant.id, 1, null, 'activate', actor, null);
      return tenant.id;
    });
    return { ...(await this.viewById(tenantId)), warnings: check.warnings };
  }

  /**
   * Save and activate in one step (PUT .../config): a new version, validated, in force at once. `discover`: how the
   * issuer's discovery document is read (a change saved again passes OktaDiscovery.once(), so it is fetched once).
   */
  async saveAndActivate(tenantId: string, input: UpdateConfigInput, actor: string, discover?: Discover): Promise<TenantView> {
    const { check } = await this.saveVersion(tenantId, input, actor, true, discover);
    return { ...(await this.viewById(tenantId)), warnings: check.warnings };
  }

  /** Stage a new version as a draft: validated like any save, but not in force until activated. */
  async createDraft(tenantId: string, input: UpdateConfigInput, actor: string, discover?: Discover): Promise<VersionView> {
    const { version } = await this.saveVersion(tenantId, input, actor, false, discover);
    return this.version(tenantId, version);
  }

  /** The baseVersion rule of every save (checkBase) against `inForce`, read without a lock: an early answer before work a save would refuse anyway. */
  async checkBaseVersion(tenantId: string, base: number | undefined, inForce: number | null): Promise<void> {
    await this.checkBase(this.db.manager, tenantId, base, inForce);
  }

  /** Checks a version again now (discovery, domains, mappings, its secret), and records the result. */
  async check(tenantId: string, version: number): Promise<ConfigCheck & { version: number }> {
    const row = await this.versionRow(this.db.manager, tenantId, version);
    const check = await this.checkStored(tenantId, row);
    await this.db.query(`UPDATE tenant_config_versions SET checked_at = now(), check_result = $3 WHERE tenant_id = $1 AND version = $2`, [tenantId, version, checkJson(check)]);
    return { ...check, version };
  }

  async activate(tenantId: string, version: number, actor: string, input: BringIntoForceInput = {}): Promise<TenantView> {
    return this.bringIntoForce(tenantId, version, actor, 'activate', input);
  }

  async rollback(tenantId: string, toVersion: number, actor: string, input: BringIntoForceInput = {}): Promise<TenantView> {
    return this.bringIntoForce(tenantId, toVersion, actor, 'rollback', input);
  }

  async discard(tenantId: string, version: number): Promise<VersionView> {
    const row = await this.versionRow(this.db.manager, tenantId, version);
    if (row.status !== 'draft') throw ProblemError.conflict(`Version ${version} is ${row.status}; only a draft can be discarded.`);
    await this.db.query(`UPDATE tenant_config_versions SET status = 'discarded' WHERE tenant_id = $1 AND version = $2 AND status = 'draft'`, [tenantId, version]);
    return this.version(tenantId, version);
  }

  async versions(tenantId: string): Promise<VersionView[]> {
    const rows = await this.versionRows(tenantId);
    const configs = new Map(rows.map((r) => [r.version, r.config]));
    const activations = await this.activations(tenantId);
    return rows.map((r) => this.versionView(r, configs, activations, undefined, false)).reverse();
  }

  async version(tenantId: string, version: number, against?: number): Promise<VersionView> {
    const rows = await this.versionRows(tenantId);
    const row = rows.find((r) => r.version === version);
    if (!row) throw ProblemError.notFound(`Version ${version}`);
    if (against !== undefined && !rows.some((r) => r.version === against)) throw ProblemError.notFound(`Version ${against}`);
    const configs = new Map(rows.map((r) => [r.version, r.config]));
    return this.versionView(row, configs, await this.activations(tenantId), against, true);
  }

  // ---- client secrets: write-only, staged before the old one is retired ----

  async stageSecret(tenantId: string, secret: string, actor: string, label?: string): Promise<SecretView> {
    const id = await this.sealSecret(this.db.manager, tenantId, secret, actor, label ?? null);
    return (await this.secrets(tenantId)).find((s) => s.id === id)!;
  }

  async secrets(tenantId: string): Promise<SecretView[]> {
    const rows = await this.db.query(
      `SELECT s.id, s.label, s.created_by, s.created_at, s.retired_at,
              COALESCE((SELECT array_agg(v.version ORDER BY v.version) FROM tenant_config_versions v WHERE v.tenant_id = s.tenant_id AND v.config->'okta'->>'clientSecretId' = s.id::text AND v.status <> 'discarded'), '{}') AS versions,
              EXISTS (SELECT 1 FROM tenants t JOIN tenant_config_versions v ON v.tenant_id = t.id AND v.version = t.active_version WHERE t.id = s.tenant_id AND v.config->'okta'->>'clientSecretId' = s.id::text) AS in_use
         FROM tenant_secrets s WHERE s.tenant_id = $1 AND s.purpose = 'client-secret' ORDER BY s.created_at DESC`,
      [tenantId],
    );
    return rows.map((r: Record<string, any>) => ({
      id: r.id, label: r.label, status: r.retired_at ? 'retired' : r.in_use ? 'in-use' : 'staged', usedByVersions: r.versions,
      createdBy: r.created_by, createdAt: new Date(r.created_at).toISOString(), retiredAt: r.retired_at ? new Date(r.retired_at).toISOString() : null,
    }));
  }

  /** Retires a secret: wiped for good. Not while it is in force or a sign-in started with it is still under way. */
  async retireSecret(tenantId: string, secretId: string, actor: string): Promise<SecretView> {
    await this.db.transaction(async (m) => {
      await m.query(`SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, [tenantId]);
      const secret = (await this.secrets(tenantId)).find((s) => s.id === secretId); // client secrets only
      if (!secret) throw ProblemError.notFound('Secret');
      if (secret.status === 'retired') return;
      if (secret.status === 'in-use') throw ProblemError.conflict('This secret is used by the version in force; activate a version with the new secret first.', [{ field: 'secret', reason: 'in use by the active version' }]);
      const inFlight = await m.query(
        `SELECT count(*)::int AS n FROM login_states WHERE tenant_id = $1 AND config_version = ANY($2::int[]) AND expires_at > now()`,
        [tenantId, secret.usedByVersions],
      );
      if (inFlight[0].n > 0) {
        throw ProblemError.conflict(`${inFlight[0].n} sign-in(s) started with this secret are still under way; retry once they have finished or expired (at most ${Math.ceil(this.loginStateTtl / 60)} minutes).`);
      }
      await m.query(`UPDATE tenant_secrets SET retired_at = now(), retired_by = $3, iv = NULL, ciphertext = NULL, tag = NULL WHERE id = $1 AND tenant_id = $2`, [secretId, tenantId, actor]);
    });
    return (await this.secrets(tenantId)).find((s) => s.id === secretId)!;
  }

  // ---- reads ----

  async list(): Promise<TenantView[]> {
    const tenants = await this.db.getRepository(TenantEntity).find({ order: { slug: 'ASC' } });
    return Promise.all(tenants.map((t) => this.view(t)));
  }

  async get(slug: string): Promise<TenantView> {
    return this.view(await this.bySlug(slug));
  }

  async getById(id: string): Promise<TenantView> {
    return this.viewById(id);
  }

  async bySlug(slug: string): Promise<TenantEntity> {
    const tenant = await this.db.getRepository(TenantEntity).findOneBy({ slug });
    if (!tenant) throw ProblemError.notFound(`Tenant "${slug}"`);
    return tenant;
  }

  /** A stored configuration version (with the secret reference), for the troubleshooting tool and the dry run. */
  async storedVersion(tenantId: string, version?: number): Promise<{ version: number; status: VersionStatus; config: TenantConfig }> {
    const v = version ?? (await this.db.getRepository(TenantEntity).findOneByOrFail({ id: tenantId })).activeVersion;
    if (!v) throw ProblemError.notFound('Configuration version');
    const row = await this.versionRow(this.db.manager, tenantId, v);
    return { version: row.version, status: row.status as VersionStatus, config: row.config };
  }

  /** A sealed secret of a configuration version, decrypted (for outbound calls and connections only). */
  async openSecret(tenantId: string, secretId: string, purpose: SecretPurpose = 'client-secret'): Promise<string> {
    const s = await this.db.getRepository(TenantSecretEntity).findOneByOrFail({ id: secretId, tenantId });
    if (!s.ciphertext || !s.iv || !s.tag) throw new Error(`The secret ${secretId} of tenant ${tenantId} was retired`);
    return this.box.open({ keyId: s.keyId, iv: s.iv, ciphertext: s.ciphertext, tag: s.tag }, secretAad(tenantId, purpose));
  }

  // ---- internals ----

  private async saveVersion(tenantId: string, input: UpdateConfigInput, actor: string, activate: boolean, discover?: Discover): Promise<{ version: number; check: ConfigCheck }> {
    const check = await this.validator.validate(input.config, tenantId, discover);
    if (input.clientSecretId) {
      const s = await this.db.getRepository(TenantSecretEntity).findOneBy({ id: input.clientSecretId, tenantId });
      if (!s) check.problems.push({ field: 'clientSecretId', reason: 'there is no such staged secret for this tenant' });
      else if (s.retiredAt) check.problems.push({ field: 'clientSecretId', reason: 'this secret was retired' });
      check.ok = check.problems.length === 0;
    }
    await this.checkTrainingUrl(tenantId, input.config.training, input.trainingDatabaseUrl, check);
    refuseUnlessOk(check, activate ? 'The configuration was not saved.' : 'The draft was not saved.');
    const version = await this.inTransaction(async (m) => {
      const tenant = (await m.query(`SELECT active_version FROM tenants WHERE id = $1 FOR UPDATE`, [tenantId]))[0];
      const active = tenant.active_version as number | null;
      await this.checkBase(m, tenantId, input.baseVersion, active);
      const current = active ? await this.versionRow(m, tenantId, active) : null;
      const latest = Number((await m.query(`SELECT COALESCE(MAX(version), 0) AS max FROM tenant_config_versions WHERE tenant_id = $1`, [tenantId]))[0].max);
      const secretId = input.clientSecret
        ? await this.sealSecret(m, tenantId, input.clientSecret, actor, null)
        : input.clientSecretId ?? current?.config.okta.clientSecretId;
      if (!secretId) throw ProblemError.validation([{ field: 'clientSecret', reason: 'this tenant has no client secret yet; give one' }]);
      checkTraining(input.config.training, input.trainingDatabaseUrl, current?.config.training);
      const training = await this.storedTraining(m, tenantId, input.config.training, input.trainingDatabaseUrl, current?.config.training, actor);
      const config: TenantConfig = { ...input.config, okta: { ...input.config.okta, endpoints: check.endpoints!, clientSecretId: secretId }, training };
      const next = latest + 1;
      await this.insertVersion(m, tenantId, next, config, 'draft', actor, input.note ?? null, active, check);
      if (activate) await this.putInForce(m, tenantId, next, active, 'activate', actor, input.note ?? null);
      return next;
    });
    if (activate) await this.directories.configurationChanged(tenantId);
    return { version, check };
  }

  private async bringIntoForce(tenantId: string, version: number, actor: string, kind: 'activate' | 'rollback', { note, baseVersion, replaceNewer = false }: BringIntoForceInput): Promise<TenantView> {
    const row = await this.versionRow(this.db.manager, tenantId, version);
    if (kind === 'activate' && row.status !== 'draft') {
      throw ProblemError.conflict(row.status === 'superseded' ? `Version ${version} was in force before; roll back to it instead.` : `Version ${version} is ${row.status}; only a draft can be activated.`);
    }
    if (kind === 'rollback' && row.status !== 'superseded') {
      throw ProblemError.conflict(row.status === 'active' ? `Version ${version} is already in force.` : `Version ${version} was never in force (${row.status}); activate a draft instead.`);
    }
    const check = await this.checkStored(tenantId, row);
    await this.db.query(`UPDATE tenant_config_versions SET checked_at = now(), check_result = $3 WHERE tenant_id = $1 AND version = $2`, [tenantId, version, checkJson(check)]);
    refuseUnlessOk(check, `Version ${version} was not ${kind === 'activate' ? 'activated' : 'restored'}: it does not pass its checks now.`);
    await this.inTransaction(async (m) => {
      const tenant = (await m.query(`SELECT active_version FROM tenants WHERE id = $1 FOR UPDATE`, [tenantId]))[0];
      const again = await this.versionRow(m, tenantId, version);
      if (again.status !== row.status) throw ProblemError.conflict(`Version ${version} changed while it was being checked; try again.`);
      const inForce = tenant.active_version as number | null;
      await this.checkBase(m, tenantId, baseVersion, inForce);
      // A draft made from version N, activated after someone put N+1 in force, would silently undo N+1's changes.
      if (kind === 'activate' && !replaceNewer && inForce !== null && again.baseVersion !== null && again.baseVersion !== inForce) {
        throw ProblemError.conflict(
          `Draft v${version} was made from version ${again.baseVersion}, but version ${inForce} is in force now: activating it would undo the changes of version ${inForce}. Stage the change again from version ${inForce}, or activate with "replaceNewer": true to undo them on purpose.`,
          [{ field: 'replaceNewer', reason: `version ${inForce} came after this draft's base, version ${again.baseVersion}` }],
        );
      }
      await this.putInForce(m, tenantId, version, tenant.active_version, kind, actor, note ?? null);
    });
    // A training pool for a database the version now in force no longer names is closed now, not when idle.
    await this.directories.configurationChanged(tenantId);
    return this.viewById(tenantId);
  }

  /**
   * Optimistic concurrency, under the tenant's row lock, for every change that puts a version in force (a save,
   * an activation, a rollback): one made from version `base` (the version in force its author saw) is refused with
   * 409 when another has been put in force since, so two people cannot silently overwrite each other. A base that
   * was never in force (no such version, a draft, a discarded one) is no version the author could have seen in
   * force: 422, not a 409 about what came after it.
   */
  private async checkBase(m: EntityManager, tenantId: string, base: number | undefined, inForce: number | null): Promise<void> {
    if (base === undefined) return;
    const [row] = await m.query(`SELECT status FROM tenant_config_versions WHERE tenant_id = $1 AND version = $2`, [tenantId, base]);
    if (!row) throw ProblemError.validation([{ field: 'baseVersion', reason: `this tenant has no version ${base}` }]);
    if (row.status !== 'active' && row.status !== 'superseded') {
      throw ProblemError.validation([{ field: 'baseVersion', reason: `version ${base} was never in force (it is ${row.status}); give the version in force the change was made from` }]);
    }
    if (base !== inForce) throw new StaleBaseVersion(base, inForce);
  }

  /** A stored version checked as it stands now: the same validation as a save, plus its secret and endpoints. */
  private async checkStored(tenantId: string, row: TenantConfigVersionEntity): Promise<ConfigCheck> {
    const { endpoints, clientSecretId, ...okta } = row.config.okta;
    const check = await this.validator.validate({ ...row.config, okta }, tenantId);
    const secret = await this.db.getRepository(TenantSecretEntity).findOneBy({ id: clientSecretId, tenantId });
    if (!secret || secret.retiredAt) check.problems.push({ field: 'config.okta.clientSecretId', reason: `the client secret of version ${row.version} was retired; save a new version with a current secret` });
    if (check.endpoints) {
      const moved = (['authorization', 'token', 'userinfo', 'jwks'] as const).filter((k) => check.endpoints![k] !== endpoints[k]);
      if (moved.length) check.problems.push({ field: 'config.okta.issuer', reason: `Okta now publishes a different ${moved.join(', ')} endpoint than when version ${row.version} was saved; save a new version` });
    }
    check.ok = check.problems.length === 0;
    return check;
  }

  private async insertVersion(m: EntityManager, tenantId: string, version: number, config: TenantConfig, status: VersionStatus, author: string, note: string | null, base: number | null, check: ConfigCheck) {
    await m.query(
      `INSERT INTO tenant_config_versions (tenant_id, version, config, status, author, note, base_version, checked_at, check_result, warnings)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8, $9)`,
      [tenantId, version, JSON.stringify(config), status, author, note, base, checkJson(check), JSON.stringify(check.warnings)],
    );
  }

  /** Puts a version in force: the one before is superseded, the verified domains become this version's. */
  private async putInForce(m: EntityManager, tenantId: string, version: number, previous: number | null, kind: 'activate' | 'rollback', actor: string, note: string | null) {
    await m.query(`UPDATE tenant_config_versions SET status = 'superseded' WHERE tenant_id = $1 AND status = 'active'`, [tenantId]);
    // (a bare UPDATE … RETURNING comes back as [rows, count]: wrapped in a CTE)
    const [row] = await m.query(`WITH u AS (UPDATE tenant_config_versions SET status = 'active' WHERE tenant_id = $1 AND version = $2 RETURNING config) SELECT config FROM u`, [tenantId, version]);
    await m.query(`UPDATE tenants SET active_version = $2, updated_at = now() WHERE id = $1`, [tenantId, version]);
    // The domains this version claims, checked again here under one lock for every tenant's activations, so two
    // saves at once cannot both take overlapping addresses (the check at save time only gives the early reasons).
    const claims = claimsOf(row.config as TenantConfig);
    await m.query(`SELECT pg_advisory_xact_lock(${DOMAIN_CLAIMS_LOCK})`);
    const conflicts = await conflictingClaims(m, claims, tenantId);
    if (conflicts.length) {
      throw ProblemError.conflict('A domain of this version is claimed by another tenant.', conflicts.map((c) => ({ field: fieldOfClaim(row.config as TenantConfig, c.claim), reason: conflictReason(c) })));
    }
    await m.query(`DELETE FROM tenant_domains WHERE tenant_id = $1`, [tenantId]);
    await m.query(`INSERT INTO tenant_domains (domain, tenant_id, kind) SELECT unnest($2::text[]), $1, unnest($3::text[])`, [tenantId, claims.map((c) => c.domain), claims.map((c) => c.kind)]);
    await m.query(`INSERT INTO tenant_config_activations (tenant_id, version, previous_version, kind, actor, note) VALUES ($1, $2, $3, $4, $5, $6)`, [tenantId, version, previous, kind, actor, note]);
  }

  /**
   * A training database URL given in this save is checked now (DirectoryDatabases.checkUrl): one that names no
   * training database of this tenant (production's, another application's, a template, another tenant's; tenantId
   * null: a tenant being created) is a problem; one that cannot be reached now is a warning (it may be created
   * later; sign-ins check it again before using it).
   */
  private async checkTrainingUrl(tenantId: string | null, training: TrainingConfigInput, url: string | undefined, check: ConfigCheck): Promise<void> {
    if (!url || training.database !== 'url') return;
    const found = await this.directories.checkUrl(url, tenantId);
    if (found.refused) check.problems.push({ field: 'trainingDatabaseUrl', reason: `is not a training database: ${found.refused}; name an empty database, or one only this service's training schema is in` });
    else if (found.unreachable) check.warnings.push({ field: 'trainingDatabaseUrl', reason: `could not be reached to check it now (${found.unreachable}); training sign-ins check it again and are refused until it can be used` });
    check.ok = check.problems.length === 0;
  }

  /** The training section as stored: a new connection URL sealed, or the one in force kept. */
  private async storedTraining(
    m: EntityManager, tenantId: string, input: TrainingConfigInput, url: string | undefined, current: StoredTraining | undefined, actor: string,
  ): Promise<StoredTraining> {
    if (input.database !== 'url') return input;
    if (url) {
      const databaseUrlSecretId = await this.sealSecret(m, tenantId, url, actor, 'training database', 'training-database-url');
      return { ...input, databaseUrlSecretId, databaseTarget: databaseTarget(url) };
    }
    return { ...input, databaseUrlSecretId: current!.databaseUrlSecretId, databaseTarget: current!.databaseTarget };
  }

  private async sealSecret(m: EntityManager, tenantId: string, secret: string, actor: string, label: string | null, purpose: SecretPurpose = 'client-secret'): Promise<string> {
    const sealed = this.box.seal(secret, secretAad(tenantId, purpose));
    const rows = await m.query(
      `INSERT INTO tenant_secrets (tenant_id, key_id, iv, ciphertext, tag, created_by, label, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [tenantId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.tag, actor, label, purpose],
    );
    return rows[0].id;
  }

  private async versionRow(m: EntityManager, tenantId: string, version: number): Promise<TenantConfigVersionEntity> {
    const row = await m.getRepository(TenantConfigVersionEntity).findOneBy({ tenantId, version });
    if (!row) throw ProblemError.notFound(`Version ${version}`);
    return row;
  }

  private async versionRows(tenantId: string): Promise<Array<TenantConfigVersionEntity & { authorName: string | null }>> {
    const rows = await this.db.query(
      `SELECT v.*, p.name AS author_name FROM tenant_config_versions v
         LEFT JOIN admin_principals p ON v.author = 'principal:' || p.id::text
        WHERE v.tenant_id = $1 ORDER BY v.version`,
      [tenantId],
    );
    return rows.map((r: Record<string, any>) => ({
      tenantId: r.tenant_id, version: r.version, config: r.config, status: r.status, author: r.author, note: r.note, createdAt: new Date(r.created_at),
      baseVersion: r.base_version, checkedAt: r.checked_at ? new Date(r.checked_at) : null, checkResult: r.check_result, warnings: r.warnings, authorName: r.author_name,
    }));
  }

  private async activations(tenantId: string) {
    const rows = await this.db.query(`SELECT version, previous_version, kind, actor, note, at FROM tenant_config_activations WHERE tenant_id = $1 ORDER BY at, id`, [tenantId]);
    return rows as Array<{ version: number; previous_version: number | null; kind: 'activate' | 'rollback'; actor: string; note: string | null; at: Date }>;
  }

  private versionView(
    r: TenantConfigVersionEntity & { authorName: string | null },
    configs: Map<number, TenantConfig>,
    activations: Awaited<ReturnType<TenantsService['activations']>>,
    against: number | undefined,
    withConfig: boolean,
  ): VersionView {
    const base = against ?? r.baseVersion ?? (r.version > 1 ? r.version - 1 : null);
    const check = r.checkResult as { ok: boolean; problems: FieldProblem[]; warnings: FieldProblem[] } | null;
    return {
      version: r.version,
      status: r.status as VersionStatus,
      author: r.author,
      authorName: r.authorName,
      createdAt: r.createdAt.toISOString(),
      note: r.note,
      baseVersion: r.baseVersion,
      check: check && r.checkedAt ? { at: r.checkedAt.toISOString(), ok: check.ok, problems: check.problems, warnings: check.warnings } : null,
      activations: activations
        .filter((a) => a.version === r.version)
        .map((a) => ({ kind: a.kind, actor: a.actor, at: new Date(a.at).toISOString(), previousVersion: a.previous_version, note: a.note })),
      diff: { against: base, changes: diffConfigs(base ? configs.get(base) : undefined, r.config) },
      ...(withConfig ? { config: this.configView(r.config, r.createdAt) } : {}),
    };
  }

  private configView(config: TenantConfig, at: Date, secretAt?: Date): ConfigView {
    const { clientSecretId, ...okta } = config.okta;
    const { databaseUrlSecretId, ...training } = config.training ?? { enabled: false, database: 'managed' as const };
    return {
      ...config,
      okta: { ...okta, clientSecret: { set: true, id: clientSecretId, updatedAt: (secretAt ?? at).toISOString() } },
      training: { ...training, ...(databaseUrlSecretId ? { databaseUrl: { set: true as const } } : {}) },
    };
  }

  private async inTransaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(work);
    } catch (e) {
      const err = e as { code?: string; constraint?: string; detail?: string };
      if (err.code === '23505' && err.constraint === 'tenant_domains_pkey') {
        throw ProblemError.conflict('A domain is already verified for another tenant.', [{ field: 'domains', reason: err.detail?.replace(/^Key \(domain\)=\((.*)\) already exists\.$/, '$1 is already a verified domain of another tenant') ?? 'a domain is taken' }]);
      }
      if (err.code === '23505' && err.constraint === 'tenants_slug_key') throw ProblemError.conflict('A tenant with this slug already exists.', [{ field: 'slug', reason: 'already exists' }]);
      if (err.code === '23505' && err.constraint === 'tenant_config_versions_pkey') throw ProblemError.conflict('Another change to this tenant was saved at the same time; reload and try again.');
      throw e;
    }
  }

  private async viewById(id: string): Promise<TenantView> {
    return this.view(await this.db.getRepository(TenantEntity).findOneByOrFail({ id }));
  }

  private async view(t: TenantEntity): Promise<TenantView> {
    let config: ConfigView | null = null;
    const versions: Array<{ version: number; status: VersionStatus }> = await this.db.query(`SELECT version, status FROM tenant_config_versions WHERE tenant_id = $1 ORDER BY version`, [t.id]);
    if (t.activeVersion) {
      const v = await this.db.getRepository(TenantConfigVersionEntity).findOneByOrFail({ tenantId: t.id, version: t.activeVersion });
      const secret = await this.db.getRepository(TenantSecretEntity).findOne({ where: { id: v.config.okta.clientSecretId }, select: { id: true, createdAt: true } });
      config = this.configView(v.config, v.createdAt, secret?.createdAt);
    }
    return {
      id: t.id, slug: t.slug, name: t.name, status: t.status, activeVersion: t.activeVersion,
      latestVersion: versions.at(-1)?.version ?? null,
      drafts: versions.filter((v) => v.status === 'draft').map((v) => v.version),
      config, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
    };
  }
}

/**
 * A change made from version `base` while `inForce` is in force: saving it would silently undo what came between
 * (409). Its own class so that a change the service derives itself (an RQ ID load) can be made again from the new one.
 */
export class StaleBaseVersion extends ProblemError {
  constructor(base: number, inForce: number | null) {
    super(409, 'Conflict', `Version ${inForce ?? 'none'} was put in force after version ${base}, which this change was made from; reload and make the change again.`, [
      { field: 'baseVersion', reason: `version ${inForce ?? 'none'} is in force now, not ${base}` },
    ], '/problems/conflict');
  }
}

/** A training database named by URL needs the URL, given now or kept from the configuration in force. */
function checkTraining(input: TrainingConfigInput, url: string | undefined, current: StoredTraining | undefined): void {
  if (input.database === 'url' && !url && !current?.databaseUrlSecretId) {
    throw ProblemError.validation([{ field: 'trainingDatabaseUrl', reason: 'is required when config.training.database is "url" (it is write-only: give it once, later saves keep it)' }]);
  }
  if (input.database !== 'url' && url) {
    throw ProblemError.validation([{ field: 'trainingDatabaseUrl', reason: 'is only used when config.training.database is "url"' }]);
  }
}

function checkJson(check: ConfigCheck): string {
  return JSON.stringify({ ok: check.problems.length === 0, problems: check.problems, warnings: check.warnings });
}

function refuseUnlessOk(check: ConfigCheck, detail: string): void {
  if (check.problems.length === 0) return;
  if (check.conflict) throw ProblemError.conflict(detail, check.problems);
  throw ProblemError.validation(check.problems, detail);
}

export type { ConfigInput };
