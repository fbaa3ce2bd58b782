import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant secret is either its Okta client secret or a training database connection URL. The purpose is
 * also bound into the ciphertext (AES-GCM additional data), so one can never be opened as the other; this
 * column lets the client-secret staging list leave training URLs out.
 */
export class SecretPurpose1796322400563 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenant_secrets
        ADD COLUMN purpose text NOT NULL DEFAULT 'client-secret' CHECK (purpose IN ('client-secret', 'training-database-url'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_secrets DROP COLUMN purpose;`);
  }
}
