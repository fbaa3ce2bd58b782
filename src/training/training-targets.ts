import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DirectoryDatabases, type TrainingTarget } from '../database/directory-databases.js';
import { TenantRuntime } from '../tenants/tenant-runtime.js';
import { TenantsService } from '../tenants/tenants.service.js';

const MAX_CACHED_URLS = 2000;

/**
 * Tells DirectoryDatabases where a tenant's training database is, from the configuration version in force.
 * Versions are immutable, so the decrypted connection URL is cached by its sealed secret's id.
 */
@Injectable()
export class TrainingTargets implements OnModuleInit {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly db: DataSource,
    private readonly runtime: TenantRuntime,
    private readonly tenants: TenantsService,
    private readonly directories: DirectoryDatabases,
  ) {}

  onModuleInit(): void {
    this.directories.setTrainingResolver((tenantId) => this.resolve(tenantId));
  }

  async resolve(tenantId: string): Promise<TrainingTarget> {
    const rows: Array<{ active_version: number | null }> = await this.db.query(`SELECT active_version FROM tenants WHERE id = $1`, [tenantId]);
    const version = rows[0]?.active_version;
    if (!version) return { enabled: false };
    const tenant = await this.runtime.load({ id: tenantId, version });
    const training = tenant.config.training;
    if (!training?.enabled) return { enabled: false };
    if (training.database === 'managed' || !training.databaseUrlSecretId) return { enabled: true, database: 'managed' };
    return { enabled: true, database: 'url', url: await this.url(tenantId, training.databaseUrlSecretId) };
  }

  private url(tenantId: string, secretId: string): Promise<string> {
    let hit = this.urls.get(secretId);
    if (!hit) {
      hit = this.tenants.openSecret(tenantId, secretId, 'training-database-url');
      hit.catch(() => this.urls.delete(secretId));
      if (this.urls.size >= MAX_CACHED_URLS) this.urls.delete(this.urls.keys().next().value!);
      this.urls.set(secretId, hit);
    }
    return hit;
  }
}
