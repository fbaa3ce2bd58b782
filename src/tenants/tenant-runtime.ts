import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Lru } from '../common/lru.js';
import { AppConfig } from '../config/app-config.js';
import { TenantsService } from './tenants.service.js';
import type { TenantConfig } from './tenant-config.schema.js';

export interface TenantRef {
  id: string;
  slug: string;
  status: 'active' | 'disabled';
  version: number;
}

/** A configuration version as a sign-in uses it. Versions are immutable, so this is cached by (tenant, version). */
export interface LoadedTenant extends TenantRef {
  config: TenantConfig;
  clientSecret: string;
}

/** Read side of tenant configuration for the sign-in path. */
@Injectable()
export class TenantRuntime {
  private readonly cache: Lru<string, Promise<LoadedTenant>>;

  constructor(
    private readonly db: DataSource,
    private readonly tenants: TenantsService,
    config: AppConfig,
  ) {
    this.cache = new Lru(config.env.TENANT_CACHE_MAX);
  }

  async bySlug(slug: string): Promise<TenantRef | null> {
    const rows = await this.db.query(`SELECT id, slug, status, active_version FROM tenants WHERE slug = $1 AND active_version IS NOT NULL`, [slug]);
    return rows[0] ? { id: rows[0].id, slug: rows[0].slug, status: rows[0].status, version: rows[0].active_version } : null;
  }

  load(ref: Pick<TenantRef, 'id' | 'version'>): Promise<LoadedTenant> {
    const key = `${ref.id}:${ref.version}`;
    let hit = this.cache.get(key);
    if (hit) return hit;
    hit = this.fetch(ref.id, ref.version);
    hit.catch(() => this.cache.delete(key));
    this.cache.set(key, hit);
    return hit;
  }

  private async fetch(id: string, version: number): Promise<LoadedTenant> {
    const rows = await this.db.query(
      `SELECT t.id, t.slug, t.status, v.version, v.config FROM tenants t JOIN tenant_config_versions v ON v.tenant_id = t.id WHERE t.id = $1 AND v.version = $2`,
      [id, version],
    );
    if (!rows[0]) throw new Error(`Tenant ${id} has no configuration version ${version}`);
    const config: TenantConfig = rows[0].config;
    const clientSecret = await this.tenants.openSecret(id, config.okta.clientSecretId);
    return { id, slug: rows[0].slug, status: rows[0].status, version, config, clientSecret };
  }
}
