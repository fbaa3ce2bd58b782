import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account-manager authorization: people (principals) with a role and a tenant scope, their credentials
 * (only hashes are stored; revocable; always expiring), and the log of every admin action.
 */
export class AdminAuth1796320591793 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A person who uses the admin API (and later the console). Operators manage everything; managers only their tenants.
      CREATE TABLE admin_principals (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        email       text CHECK (email IS NULL OR length(email) <= 320),
        role        text NOT NULL CHECK (role IN ('operator', 'manager')),
        status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX admin_principals_email ON admin_principals (lower(email)) WHERE email IS NOT NULL;

      -- The tenants a manager looks after (operators need no rows here).
      CREATE TABLE admin_principal_tenants (
        principal_id  uuid NOT NULL REFERENCES admin_principals(id) ON DELETE CASCADE,
        tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        granted_by    text NOT NULL,
        granted_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (principal_id, tenant_id)
      );
      CREATE INDEX admin_principal_tenants_tenant ON admin_principal_tenants (tenant_id);

      -- Credentials: an API token shown once (kind api-token), or later a browser session derived from one
      -- (kind session, parent_id = the token it was opened with, so revoking the token ends its sessions).
      CREATE TABLE admin_credentials (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        principal_id  uuid NOT NULL REFERENCES admin_principals(id) ON DELETE CASCADE,
        kind          text NOT NULL DEFAULT 'api-token' CHECK (kind IN ('api-token', 'session')),
        parent_id     uuid REFERENCES admin_credentials(id) ON DELETE CASCADE,
        token_hash    text NOT NULL UNIQUE,      -- sha256 of the whole token; the token itself is never stored
        hint          text NOT NULL,             -- first characters of the token, to recognise it in a list
        label         text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
        expires_at    timestamptz NOT NULL,
        revoked_at    timestamptz,
        revoked_by    text,
        last_used_at  timestamptz,
        created_by    text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'session') = (parent_id IS NOT NULL))
      );
      CREATE INDEX admin_credentials_principal ON admin_credentials (principal_id);

      -- Every admin request: who, what, on which tenant, and how it ended (denials included).
      CREATE TABLE admin_actions (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        at              timestamptz NOT NULL DEFAULT now(),
        actor           text NOT NULL,
        actor_name      text,
        principal_id    uuid,
        credential_id   uuid,
        role            text,
        method          text NOT NULL,
        route           text NOT NULL,
        path            text NOT NULL,
        tenant_id       uuid REFERENCES tenants(id) ON DELETE SET NULL,
        tenant_slug     text,
        status          integer NOT NULL,
        outcome         text NOT NULL CHECK (outcome IN ('ok', 'refused', 'denied', 'error')),
        detail          jsonb NOT NULL DEFAULT '{}',
        correlation_id  text
      );
      CREATE INDEX admin_actions_time ON admin_actions (at DESC, id DESC);
      CREATE INDEX admin_actions_tenant ON admin_actions (tenant_id, at DESC);
      CREATE INDEX admin_actions_principal ON admin_actions (principal_id, at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_actions, admin_credentials, admin_principal_tenants, admin_principals`);
  }
}
