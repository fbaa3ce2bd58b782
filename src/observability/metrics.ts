import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AppConfig } from '../config/app-config.js';

export type OktaEndpoint = 'discovery' | 'token' | 'userinfo' | 'jwks';
export interface TenantLabel {
  id: string;
  slug: string;
}

/** The label for tenants past the cardinality bound. */
export const OTHER_TENANT = '_other';

/**
 * Prometheus metrics (prom-client), in a registry of this application instance (never the global one, so
 * several apps in one process, as in the tests, keep their own counts). Tenant labels are bounded: the first
 * METRICS_TENANT_LABELS tenants seen get their slug, later ones share `_other`, so 10,000 tenants cannot
 * make 10,000 × endpoints × buckets series.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly tenants = new Set<string>();
  private readonly maxTenants: number;

  readonly signIns: Counter<'tenant' | 'outcome'>;
  readonly provisioning: Counter<'tenant' | 'outcome'>;
  readonly oktaDuration: Histogram<'tenant' | 'endpoint'>;
  readonly oktaErrors: Counter<'tenant' | 'endpoint' | 'kind'>;
  readonly oktaBackoffs: Counter<'tenant'>;

  constructor(config: AppConfig) {
    this.maxTenants = config.env.METRICS_TENANT_LABELS;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'iqsso_' });
    this.signIns = new Counter({ name: 'iqsso_signins_total', help: 'Browser sign-ins that reached the callback, by outcome.', labelNames: ['tenant', 'outcome'], registers });
    this.provisioning = new Counter({ name: 'iqsso_provisioning_total', help: 'Provisioning attempts, by outcome (created, updated, unchanged, refused, failed).', labelNames: ['tenant', 'outcome'], registers });
    this.oktaDuration = new Histogram({
      name: 'iqsso_okta_request_duration_seconds', help: "Time of calls to tenants' Okta (answered or not).",
      labelNames: ['tenant', 'endpoint'], buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
    this.oktaErrors = new Counter({ name: 'iqsso_okta_errors_total', help: "Failed calls to tenants' Okta, by kind (timeout, unreachable, tls, http_5xx, http_429, ...).", labelNames: ['tenant', 'endpoint', 'kind'], registers });
    this.oktaBackoffs = new Counter({ name: 'iqsso_okta_rate_limited_total', help: "HTTP 429 answers from a tenant's Okta (each starts a back-off for that tenant).", labelNames: ['tenant'], registers });
  }

  /** The tenant's label value, within the cardinality bound. */
  tenant(t: TenantLabel | undefined): string {
    if (!t) return 'none';
    if (this.tenants.has(t.slug)) return t.slug;
    if (this.tenants.size >= this.maxTenants) return OTHER_TENANT;
    this.tenants.add(t.slug);
    return t.slug;
  }

  signIn(t: TenantLabel | undefined, outcome: string): void {
    this.signIns.inc({ tenant: this.tenant(t), outcome });
  }

  provisioned(t: TenantLabel | undefined, outcome: string): void {
    this.provisioning.inc({ tenant: this.tenant(t), outcome });
  }

  okta(t: TenantLabel | undefined, endpoint: OktaEndpoint, seconds: number, errorKind?: string): void {
    const tenant = this.tenant(t);
    this.oktaDuration.observe({ tenant, endpoint }, seconds);
    if (errorKind) this.oktaErrors.inc({ tenant, endpoint, kind: errorKind });
  }
}
