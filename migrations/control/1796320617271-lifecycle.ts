import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * User lifecycle beyond sign-in (issue 8): token grants (what an access token's revocation is checked
 * against), this service's own SSO sessions, and per-tenant SCIM bearer tokens (hashes only).
 */
export class Lifecycle1796320617271 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- This service's SSO session in a browser: one per sign-in at the tenant's Okta, bound to a tenant and
      -- an environment. The cookie holds a random handle; only its hash is stored (id). public_id is the
      -- OIDC "sid" that ID tokens carry, so an id_token_hint names the session without revealing the cookie.
      CREATE TABLE sso_sessions (
        id              text PRIMARY KEY,
        public_id       uuid NOT NULL UNIQUE,
        tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        environment     text NOT NULL CHECK (environment IN ('production', 'training')),
        user_id         uuid NOT NULL,
        auth_time       timestamptz NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        last_seen_at    timestamptz NOT NULL DEFAULT now(),
        expires_at      timestamptz NOT NULL,       -- absolute limit
        ended_at        timestamptz,
        ended_reason    text,
        -- The tenant's Okta ID token (for id_token_hint at Okta's logout), AES-256-GCM sealed; never in clear.
        upstream_id_token jsonb,
        -- While the browser is at Okta's logout: hash of the state we sent, and where to go afterwards.
        logout_state    text UNIQUE,
        logout_redirect jsonb
      );
      CREATE INDEX sso_sessions_user ON sso_sessions (tenant_id, user_id) WHERE ended_at IS NULL;
      CREATE INDEX sso_sessions_expiry ON sso_sessions (expires_at);

      -- One row per authorization grant (the "family": every token issued from one authorization code).
      -- Access tokens are JWTs that carry its id (gid); introspection and /v1/me check it is not revoked.
      CREATE TABLE token_grants (
        id           uuid PRIMARY KEY,
        client_id    text NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
        tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id      uuid NOT NULL,
        environment  text NOT NULL CHECK (environment IN ('production', 'training')),
        session_id   uuid REFERENCES sso_sessions(public_id) ON DELETE SET NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        revoked_at   timestamptz,
        revoked_reason text
      );
      CREATE INDEX token_grants_user ON token_grants (tenant_id, user_id) WHERE revoked_at IS NULL;
      CREATE INDEX token_grants_session ON token_grants (session_id) WHERE revoked_at IS NULL;
      CREATE INDEX token_grants_expiry ON token_grants (expires_at);

      -- Bearer tokens a customer's Okta uses for SCIM provisioning of one tenant. Only the SHA-256 is stored.
      CREATE TABLE scim_tokens (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        token_hash    text NOT NULL UNIQUE,
        label         text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
        created_by    text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz,
        last_used_at  timestamptz,
        revoked_at    timestamptz,
        revoked_by    text
      );
      CREATE INDEX scim_tokens_tenant ON scim_tokens (tenant_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scim_tokens, token_grants, sso_sessions;`);
  }
}
