import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The directory: provisioned users, the company tree and location assignments. Present in the production
 * database and in every training database, so it has no foreign keys into the control schema.
 */
export class DirectorySchema1764770000100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A tenant's company tree, by External Node Identifier.
      CREATE TABLE locations (
        tenant_id           uuid NOT NULL,
        external_id         text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
        name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        parent_external_id  text,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, external_id)
      );

      -- A user is keyed by (tenant, issuer, subject), never by email. username_key is the username after
      -- Unicode NFKC normalisation and lower-casing, unique across ALL tenants.
      CREATE TABLE users (
        id                      uuid PRIMARY KEY,
        tenant_id               uuid NOT NULL,
        issuer                  text NOT NULL,
        subject                 text NOT NULL,
        status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        username                text NOT NULL,
        username_key            text NOT NULL,
        first_name              text,
        last_name               text,
        security_role           text,
        email                   text,
        email_display_name      text,
        home_phone              text,
        cell_phone              text,
        organizational_role_id  text,
        supervisor_username     text,
        id_number               text,
        commission_group_id     text,
        commission_type         text,
        custom_fields           jsonb NOT NULL DEFAULT '{}',
        idp_fields              text[] NOT NULL DEFAULT '{}',  -- fields whose value came from the IdP
        manual_fields           text[] NOT NULL DEFAULT '{}',  -- fields an account manager set by hand: sign-in leaves them alone
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now(),
        last_login_at           timestamptz,
        CONSTRAINT users_identity UNIQUE (tenant_id, issuer, subject),
        CONSTRAINT users_username_key UNIQUE (username_key)
      );

      CREATE TABLE user_locations (
        user_id               uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        tenant_id             uuid NOT NULL,
        location_external_id  text NOT NULL,
        source                text NOT NULL CHECK (source IN ('idp', 'manual')),
        assigned_at           timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, location_external_id),
        FOREIGN KEY (tenant_id, location_external_id) REFERENCES locations (tenant_id, external_id) ON DELETE CASCADE
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_locations, users, locations;`);
  }
}
