import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ControlSchema1764770000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        active_version  integer,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      );

      -- Each save of a tenant's configuration is an immutable version; tenants.active_version points at the one in force.
      CREATE TABLE tenant_config_versions (
        tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        version     integer NOT NULL CHECK (version > 0),
        config      jsonb NOT NULL,
        status      text NOT NULL CHECK (status IN ('draft', 'active', 'superseded')),
        author      text NOT NULL,
        note        text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, version)
      );

      -- Verified domains of the active configuration, one owner each across all tenants.
      CREATE TABLE tenant_domains (
        domain     text PRIMARY KEY CHECK (domain = lower(domain)),
        tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
      );
      CREATE INDEX tenant_domains_tenant ON tenant_domains (tenant_id);

      -- Okta client secrets, AES-256-GCM encrypted; key_id names the keyring entry so keys can rotate.
      CREATE TABLE tenant_secrets (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        key_id      text NOT NULL,
        iv          bytea NOT NULL,
        ciphertext  bytea NOT NULL,
        tag         bytea NOT NULL,
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX tenant_secrets_tenant ON tenant_secrets (tenant_id);

      -- iQmetrix applications: OAuth 2.0 clients of this service.
      CREATE TABLE oauth_clients (
        client_id                 text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._-]{3,100}$'),
        name                      text NOT NULL,
        client_type               text NOT NULL CHECK (client_type IN ('public', 'confidential')),
        secret_hash               text,
        redirect_uris             text[] NOT NULL,
        post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
        grant_types               text[] NOT NULL,
        environment               text NOT NULL DEFAULT 'production' CHECK (environment IN ('production', 'training')),
        created_at                timestamptz NOT NULL DEFAULT now(),
        CHECK ((client_type = 'confidential') = (secret_hash IS NOT NULL))
      );

      -- A sign-in in flight between our /oauth2/authorize and Okta's redirect back: never in process memory.
      CREATE TABLE login_states (
        id              text PRIMARY KEY,          -- sha256 of the state handle sent to Okta
        browser_binding text NOT NULL,             -- sha256 of the cookie that must come back with it
        tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        config_version  integer NOT NULL,
        environment     text NOT NULL CHECK (environment IN ('production', 'training')),
        nonce           text NOT NULL,
        code_verifier   text NOT NULL,
        request         jsonb NOT NULL,            -- the app's validated authorization request
        created_at      timestamptz NOT NULL DEFAULT now(),
        expires_at      timestamptz NOT NULL
      );
      CREATE INDEX login_states_expiry ON login_states (expires_at);

      -- Authorization codes are self-contained (encrypted); this table only makes each single-use.
      CREATE TABLE consumed_codes (
        jti          text PRIMARY KEY,
        family_id    uuid NOT NULL,
        consumed_at  timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL
      );

      CREATE TABLE refresh_tokens (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash  text NOT NULL UNIQUE,
        family_id   uuid NOT NULL,
        client_id   text NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
        tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id     uuid NOT NULL,
        environment text NOT NULL CHECK (environment IN ('production', 'training')),
        scope       text NOT NULL,
        auth_time   timestamptz NOT NULL,
        issued_at   timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        revoked_at  timestamptz
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);

      -- This service's signing keys, private halves encrypted with the secrets keyring.
      CREATE TABLE signing_keys (
        kid          text PRIMARY KEY,
        alg          text NOT NULL,
        public_jwk   jsonb NOT NULL,
        private_jwk  jsonb NOT NULL,
        status       text NOT NULL CHECK (status IN ('active', 'retired')),
        created_at   timestamptz NOT NULL DEFAULT now()
      );

      -- One row per provisioning attempt, whatever the environment (audits live with production).
      CREATE TABLE provisioning_audit (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        environment     text NOT NULL CHECK (environment IN ('production', 'training')),
        source          text NOT NULL CHECK (source IN ('sign-in', 'password', 'scim')),
        config_version  integer,
        issuer          text,
        subject         text,
        username        text,
        user_id         uuid,
        outcome         text NOT NULL CHECK (outcome IN ('created', 'updated', 'unchanged', 'refused', 'failed')),
        changes         jsonb NOT NULL DEFAULT '{}',
        sources         jsonb NOT NULL DEFAULT '{}',
        reasons         jsonb NOT NULL DEFAULT '[]',
        warnings        jsonb NOT NULL DEFAULT '[]',
        claims          jsonb,
        correlation_id  text,
        created_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX provisioning_audit_tenant_time ON provisioning_audit (tenant_id, created_at DESC, id DESC);
      CREATE INDEX provisioning_audit_user ON provisioning_audit (tenant_id, user_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE provisioning_audit, signing_keys, refresh_tokens, consumed_codes, login_states,
                 oauth_clients, tenant_secrets, tenant_domains, tenant_config_versions, tenants;
    `);
  }
}
