import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TemporarilyUnavailable } from '../common/errors/oauth-errors.js';

export type Environment = 'production' | 'training';

/**
 * Where a tenant's users live: production in the main database; training in the tenant's own training
 * database (added by the training-database work). Audits always live with production.
 */
@Injectable()
export class DirectoryDatabases {
  constructor(private readonly production: DataSource) {}

  async forEnvironment(_tenantId: string, environment: Environment): Promise<DataSource> {
    if (environment === 'production') return this.production;
    throw new TemporarilyUnavailable('Training sign-in is not available for this tenant.');
  }
}
