import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A training database belongs to one tenant: the service records the tenant here when it first migrates or opens
 * the database (under the migration lock, see src/database/migrate.ts claimTrainingDatabase) and refuses the
 * database to any other tenant, so two tenants can never share training users and locations. One row at most.
 * Empty in the production database, which holds every tenant's directory.
 */
export class TrainingOwner1796380000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE training_owner (
        singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        tenant_id   uuid NOT NULL,
        claimed_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE training_owner`);
  }
}
