import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant configuration lifecycle: drafts that are checked before they are activated, rollback to an earlier
 * version, the history of activations, and client secrets that can be staged before the old one is retired.
 */
export class ConfigLifecycle1796320932163 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenant_config_versions DROP CONSTRAINT tenant_config_versions_status_check;
      ALTER TABLE tenant_config_versions
        ADD CONSTRAINT tenant_config_versions_status_check CHECK (status IN ('draft', 'active', 'superseded', 'discarded')),
        ADD COLUMN base_version  integer,             -- the version in force when this one was written (its diff is against it)
        ADD COLUMN checked_at    timestamptz,
        ADD COLUMN check_result  jsonb,               -- {ok, problems, warnings} of the last check
        ADD COLUMN warnings      jsonb NOT NULL DEFAULT '[]';
      CREATE UNIQUE INDEX tenant_config_versions_one_active ON tenant_config_versions (tenant_id) WHERE status = 'active';

      -- Each time a version was put in force: activation of a draft, or a rollback to an earlier version.
      CREATE TABLE tenant_config_activations (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        version           integer NOT NULL,
        previous_version  integer,
        kind              text NOT NULL CHECK (kind IN ('activate', 'rollback')),
        actor             text NOT NULL,
        note              text,
        at                timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (tenant_id, version) REFERENCES tenant_config_versions (tenant_id, version)
      );
      CREATE INDEX tenant_config_activations_tenant ON tenant_config_activations (tenant_id, at DESC);
      INSERT INTO tenant_config_activations (tenant_id, version, kind, actor, at)
        SELECT v.tenant_id, v.version, 'activate', v.author, v.created_at FROM tenant_config_versions v WHERE v.status IN ('active', 'superseded');

      -- A retired secret is wiped: only the fact that it existed remains.
      ALTER TABLE tenant_secrets
        ADD COLUMN label       text CHECK (label IS NULL OR length(label) <= 200),
        ADD COLUMN retired_at  timestamptz,
        ADD COLUMN retired_by  text,
        ALTER COLUMN iv DROP NOT NULL,
        ALTER COLUMN ciphertext DROP NOT NULL,
        ALTER COLUMN tag DROP NOT NULL,
        ADD CONSTRAINT tenant_secrets_wiped CHECK ((retired_at IS NULL) = (ciphertext IS NOT NULL AND iv IS NOT NULL AND tag IS NOT NULL));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE tenant_config_activations;
      DROP INDEX tenant_config_versions_one_active;
      ALTER TABLE tenant_config_versions DROP COLUMN base_version, DROP COLUMN checked_at, DROP COLUMN check_result, DROP COLUMN warnings;
      ALTER TABLE tenant_secrets DROP CONSTRAINT tenant_secrets_wiped, DROP COLUMN label, DROP COLUMN retired_at, DROP COLUMN retired_by;
    `);
  }
}
