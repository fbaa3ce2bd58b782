import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { OktaDiscovery } from './okta-discovery.js';
import type { TenantConfig } from './tenant-config.schema.js';
import { TenantConfigVersionEntity, TenantDomainEntity, TenantEntity, TenantSecretEntity } from './tenant.entities.js';
import type { CreateTenantInput, UpdateConfigInput } from './tenant-inputs.js';

export interface TenantView {
  id: string;
  slug: string;
  name: string;
  status: string;
  activeVersion: number | null;
  /** The configuration in force, without any secret: only whether one is set and when. */
  config: (Omit<TenantConfig, 'okta'> & { okta: Omit<TenantConfig['okta'], 'clientSecretId'> & { clientSecret: { set: true; updatedAt: string } } }) | null;
  createdAt: string;
  updatedAt: string;
}

const secretAad = (tenantId: string) => `tenant-client-secret:${tenantId}`;

/** Account managers' changes to tenants: every configuration save is validated, versioned and attributed. */
@Injectable()
export class TenantsService {
  constructor(
    private readonly db: DataSource,
    private readonly discovery: OktaDiscovery,
    private readonly box: SecretBox,
  ) {}

  async create(input: CreateTenantInput, actor: string): Promise<TenantView> {
    const problems = await this.checkDomains(input.config.domains);
    if (await this.db.getRepository(TenantEntity).existsBy({ slug: input.slug })) problems.push({ field: 'slug', reason: `a tenant "${input.slug}" already exists` });
    if (problems.length) throw ProblemError.conflict('The tenant conflicts with an existing one.', problems);
    const endpoints = await this.discover(input.config.okta.issuer, input.config.okta.tokenEndpointAuthMethod);
    const tenantId = await this.inTransaction(async (m) => {
      const tenant = await m.getRepository(TenantEntity).save({ slug: input.slug, name: input.name, status: 'active', activeVersion: null });
      const secretId = await this.sealSecret(m, tenant.id, input.clientSecret, actor);
      await this.saveVersion(m, tenant.id, 1, { ...input.config, okta: { ...input.config.okta, endpoints, clientSecretId: secretId } }, actor, 'created');
      return tenant.id;
    });
    return this.viewById(tenantId);
  }

  async updateConfig(slug: string, input: UpdateConfigInput, actor: string): Promise<TenantView> {
    const tenant = await this.bySlug(slug);
    const problems = await this.checkDomains(input.config.domains, tenant.id);
    if (problems.length) throw ProblemError.conflict('A domain is already verified for another tenant.', problems);
    const endpoints = await this.discover(input.config.okta.issuer, input.config.okta.tokenEndpointAuthMethod);
    await this.inTransaction(async (m) => {
      const current = await m.getRepository(TenantConfigVersionEntity).findOneByOrFail({ tenantId: tenant.id, version: tenant.activeVersion! });
      const latest: { max: number } | undefined = await m
        .getRepository(TenantConfigVersionEntity)
        .createQueryBuilder('v').select('MAX(v.version)', 'max').where('v.tenant_id = :id', { id: tenant.id }).getRawOne();
      const secretId = input.clientSecret ? await this.sealSecret(m, tenant.id, input.clientSecret, actor) : current.config.okta.clientSecretId;
      await m.getRepository(TenantConfigVersionEntity).update({ tenantId: tenant.id, status: 'active' }, { status: 'superseded' });
      await this.saveVersion(m, tenant.id, Number(latest?.max ?? 0) + 1, { ...input.config, okta: { ...input.config.okta, endpoints, clientSecretId: secretId } }, actor, input.note ?? null);
    });
    return this.viewById(tenant.id);
  }

  async list(): Promise<TenantView[]> {
    const tenants = await this.db.getRepository(TenantEntity).find({ order: { slug: 'ASC' } });
    return Promise.all(tenants.map((t) => this.view(t)));
  }

  async get(slug: string): Promise<TenantView> {
    return this.view(await this.bySlug(slug));
  }

  async bySlug(slug: string): Promise<TenantEntity> {
    const tenant = await this.db.getRepository(TenantEntity).findOneBy({ slug });
    if (!tenant) throw ProblemError.notFound(`Tenant "${slug}"`);
    return tenant;
  }

  /** The Okta client secret of a configuration version, decrypted (for outbound calls only). */
  async openSecret(tenantId: string, secretId: string): Promise<string> {
    const s = await this.db.getRepository(TenantSecretEntity).findOneByOrFail({ id: secretId, tenantId });
    return this.box.open(s, secretAad(tenantId));
  }

  private async discover(issuer: string, method: string) {
    const result = await this.discovery.discover(issuer);
    if (!result.ok) throw ProblemError.validation([result.problem], 'The Okta issuer could not be verified.');
    const methods = result.endpoints.tokenEndpointAuthMethods;
    if (methods && !methods.includes(method)) {
      throw ProblemError.validation([{ field: 'okta.tokenEndpointAuthMethod', reason: `this Okta authorization server supports ${methods.join(', ')}, not ${method}` }]);
    }
    return result.endpoints;
  }

  private async checkDomains(domains: string[], exceptTenant?: string): Promise<FieldProblem[]> {
    const owned = await this.db.getRepository(TenantDomainEntity).createQueryBuilder('d').where('d.domain IN (:...domains)', { domains }).getMany();
    return owned
      .filter((d) => d.tenantId !== exceptTenant)
      .map((d) => ({ field: `domains[${domains.indexOf(d.domain)}]`, reason: `${d.domain} is already a verified domain of another tenant` }));
  }

  private async sealSecret(m: EntityManager, tenantId: string, secret: string, actor: string): Promise<string> {
    const sealed = this.box.seal(secret, secretAad(tenantId));
    const row = await m.getRepository(TenantSecretEntity).save({ tenantId, ...sealed, createdBy: actor });
    return row.id;
  }

  private async saveVersion(m: EntityManager, tenantId: string, version: number, config: TenantConfig, author: string, note: string | null) {
    await m.getRepository(TenantConfigVersionEntity).insert({ tenantId, version, config, status: 'active', author, note });
    await m.getRepository(TenantEntity).update({ id: tenantId }, { activeVersion: version });
    await m.getRepository(TenantDomainEntity).delete({ tenantId });
    await m.getRepository(TenantDomainEntity).insert(config.domains.map((domain) => ({ domain, tenantId })));
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
      throw e;
    }
  }

  private async viewById(id: string): Promise<TenantView> {
    return this.view(await this.db.getRepository(TenantEntity).findOneByOrFail({ id }));
  }

  private async view(t: TenantEntity): Promise<TenantView> {
    let config: TenantView['config'] = null;
    if (t.activeVersion) {
      const v = await this.db.getRepository(TenantConfigVersionEntity).findOneByOrFail({ tenantId: t.id, version: t.activeVersion });
      const secret = await this.db.getRepository(TenantSecretEntity).findOne({ where: { id: v.config.okta.clientSecretId }, select: { id: true, createdAt: true } });
      const { clientSecretId: _hidden, ...okta } = v.config.okta;
      config = { ...v.config, okta: { ...okta, clientSecret: { set: true, updatedAt: (secret?.createdAt ?? v.createdAt).toISOString() } } };
    }
    return { id: t.id, slug: t.slug, name: t.name, status: t.status, activeVersion: t.activeVersion, config, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
  }
}
