import { Lru } from '../common/lru.js';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { OutboundHttp } from '../common/http/outbound-http.js';
import type { LoadedTenant } from '../tenants/tenant-runtime.js';
import { IdTokenVerifier } from './id-token-verifier.js';
import { LoginStateStore } from './login-state.store.js';
import { OktaOAuthClient } from './okta-oauth-client.js';
import passport from 'passport';
import { TenantOktaStrategy } from './okta.strategy.js';

/**
 * One passport strategy per tenant, for its configuration version in force, built on first use from that
 * version; a newer version replaces it. At most TENANT_CACHE_MAX, least recently used out.
 */
@Injectable()
export class StrategyRegistry {
  /** By tenant id, least recently used first. */
  private readonly strategies: Lru<string, TenantOktaStrategy>;
  /** This application's own Passport instance for upstream strategies. */
  readonly passport = new passport.Passport();

  constructor(
    private readonly store: LoginStateStore,
    private readonly http: OutboundHttp,
    private readonly verifier: IdTokenVerifier,
    private readonly config: AppConfig,
  ) {
    this.strategies = new Lru(config.env.TENANT_CACHE_MAX, (_id, old) => this.passport.unuse(old.name));
  }

  get(tenant: LoadedTenant): TenantOktaStrategy {
    const key = `okta:${tenant.id}:${tenant.version}`;
    const s = this.strategies.get(tenant.id);
    if (s?.name === key) return s;
    if (s) this.passport.unuse(s.name); // an older (or, during a rollback, another) version; replaced below
    const fresh = new TenantOktaStrategy(key, tenant, new OktaOAuthClient(tenant, this.http, this.verifier), this.store, this.config.oktaCallbackUrl);
    this.strategies.set(tenant.id, fresh);
    this.passport.use(key, fresh);
    return fresh;
  }

  client(tenant: LoadedTenant): OktaOAuthClient {
    return new OktaOAuthClient(tenant, this.http, this.verifier);
  }
}
