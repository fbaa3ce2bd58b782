import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { OutboundHttp } from '../common/http/outbound-http.js';
import type { LoadedTenant } from '../tenants/tenant-runtime.js';
import { IdTokenVerifier } from './id-token-verifier.js';
import { LoginStateStore } from './login-state.store.js';
import { OktaOAuthClient } from './okta-oauth-client.js';
import passport from 'passport';
import { TenantOktaStrategy } from './okta.strategy.js';

const MAX_STRATEGIES = 5000;

/** One passport strategy per (tenant, configuration version), built on first use from that version. */
@Injectable()
export class StrategyRegistry {
  private readonly strategies = new Map<string, TenantOktaStrategy>();
  /** This application's own Passport instance for upstream strategies. */
  readonly passport = new passport.Passport();

  constructor(
    private readonly store: LoginStateStore,
    private readonly http: OutboundHttp,
    private readonly verifier: IdTokenVerifier,
    private readonly config: AppConfig,
  ) {}

  get(tenant: LoadedTenant): TenantOktaStrategy {
    const key = `okta:${tenant.id}:${tenant.version}`;
    let s = this.strategies.get(key);
    if (!s) {
      for (const [k, old] of this.strategies) {
        if (k.startsWith(`okta:${tenant.id}:`)) this.evict(k, old);
      }
      if (this.strategies.size >= MAX_STRATEGIES) {
        const [k, old] = this.strategies.entries().next().value!;
        this.evict(k, old);
      }
      s = new TenantOktaStrategy(key, tenant, new OktaOAuthClient(tenant, this.http, this.verifier), this.store, this.config.oktaCallbackUrl);
      this.strategies.set(key, s);
      this.passport.use(key, s);
    }
    return s;
  }

  client(tenant: LoadedTenant): OktaOAuthClient {
    return new OktaOAuthClient(tenant, this.http, this.verifier);
  }

  private evict(key: string, _s: TenantOktaStrategy): void {
    this.strategies.delete(key);
    this.passport.unuse(key);
  }
}
