import { Injectable, Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '../common/errors/database-errors.js';
import { type Environment, isConnectionFailure, TrainingDatabaseUnavailable, TrainingDisabled } from '../database/directory-databases.js';
import { Metrics } from '../observability/metrics.js';
import { DirectoryUsers } from '../provisioning/directory-users.js';
import { type AuditSource, type ProvisioningContext, ProvisioningService } from '../provisioning/provisioning.service.js';
import type { LoadedTenant } from '../tenants/tenant-runtime.js';
import { rulesFor } from '../training/training-config.js';
import type { UpstreamIdentity } from './okta.strategy.js';

export type CompletionError =
  | 'refused'           // provisioning's checks said no (audited with the reasons)
  | 'failed'            // provisioning could not write (audited); worth retrying
  | 'no-account'        // provisioning is off and this person has no user
  | 'disabled'          // the user exists but is disabled (SCIM or by hand): sign-in never re-enables
  | 'training-disabled' // training was turned off meanwhile
  | 'unavailable'       // the directory's database is down (for training: the training database)
  | 'error';            // anything else; logged

/** What a disabled user is told when they sign in (and what the dry run says such a sign-in would answer). */
export const DISABLED_ACCOUNT = 'Your account is disabled. Ask your administrator.';

export type Completion =
  | { ok: true; userId: string }
  | { ok: false; error: CompletionError; /** Safe to show the user and the app. */ description: string };

export interface SignInContext {
  tenant: LoadedTenant;
  environment: Environment;
  source: AuditSource;
  correlationId?: string;
}

/**
 * The part of a sign-in after the tenant's Okta vouched for someone, shared by the browser callback and the
 * password grant so both provision, audit and refuse exactly alike: the environment's rules (training
 * overrides), the environment's directory, one audit row in production whatever happens.
 */
@Injectable()
export class SignInCompletion {
  private readonly log = new Logger(SignInCompletion.name);

  constructor(
    private readonly provisioning: ProvisioningService,
    private readonly users: DirectoryUsers,
    private readonly metrics: Metrics,
  ) {}

  context(s: SignInContext): ProvisioningContext {
    const rules = rulesFor(s.tenant.config, s.environment);
    return {
      tenantId: s.tenant.id, configVersion: s.tenant.version, config: rules.config, locationMap: rules.locationMap,
      environment: s.environment, source: s.source, correlationId: s.correlationId,
    };
  }

  async complete(s: SignInContext, identity: UpstreamIdentity): Promise<Completion> {
    const ctx = this.context(s);
    const who = { issuer: identity.issuer, subject: String(identity.idToken.sub) };
    const { tenant } = s;
    let userId: string | undefined;
    let status: 'active' | 'disabled' | undefined;
    try {
      if (tenant.config.okta.autoProvisioning) {
        const result = await this.provisioning.provision(ctx, { idToken: identity.idToken, userinfo: identity.userinfo }, identity.issuer);
        this.metrics.provisioned(tenant, result.outcome);
        if (result.outcome === 'failed') {
          return { ok: false, error: 'failed', description: `Your account could not be set up right now; try again in a moment. Reference ${result.auditId ?? s.correlationId}.` };
        }
        if (result.outcome === 'refused' || !result.userId) {
          const fields = [...new Set(result.reasons.map((r) => r.field))].join(', ');
          return { ok: false, error: 'refused', description: `Your account could not be set up (${fields}). Your administrator can look up reference ${result.auditId}.` };
        }
        userId = result.userId;
        status = result.status;
      } else {
        const found = await this.users.findIdentity(s.environment, tenant.id, who.issuer, who.subject);
        if (!found) {
          await this.provisioning.auditFailure(ctx, { field: 'user', reason: 'automatic provisioning is off and this person has no user yet' }, who);
          return { ok: false, error: 'no-account', description: 'You do not have an account yet; ask your administrator to create one.' };
        }
        userId = found.id;
        status = found.status;
      }
    } catch (e) {
      if (s.environment === 'training' && e instanceof TrainingDisabled) {
        await this.provisioning.auditFailure(ctx, { field: 'training', reason: 'training is not enabled for this tenant' }, who);
        return { ok: false, error: 'training-disabled', description: e.description };
      }
      // Provisioning is one statement: when it fails nothing of it was written.
      if (tenant.config.okta.autoProvisioning) this.metrics.provisioned(tenant, 'failed');
      if (s.environment === 'training' && isConnectionFailure(e)) {
        // The audit lives with production, which is up: the attempt is recorded.
        await this.provisioning.auditFailure(ctx, { field: 'trainingDatabase', reason: 'the training database was not available; nothing was written' }, who);
        return { ok: false, error: 'unavailable', description: new TrainingDatabaseUnavailable().description };
      }
      this.log.error({ err: e, correlationId: s.correlationId }, 'Provisioning failed');
      if (!isDatabaseUnavailable(e)) return { ok: false, error: 'error', description: 'The sign-in could not be completed.' };
      // One audit row per attempt, this one too: a connection cut (a failover, pg_terminate_backend) usually leaves
      // Postgres able to take the row on a new connection. Postgres down: auditFailure logs that it could not.
      await this.provisioning.auditFailure(ctx, { field: 'database', reason: 'the database was unavailable; the sign-in was not completed' }, who);
      return { ok: false, error: 'unavailable', description: 'The service is briefly unavailable; please sign in again in a moment.' };
    }
    // A user deactivated by SCIM (or by hand) stays disabled: sign-in never asserts status. The status comes
    // back from the provisioning statement itself (no extra query).
    if (status !== 'active') return { ok: false, error: 'disabled', description: DISABLED_ACCOUNT };
    return { ok: true, userId };
  }

  /** Audits an attempt that ended before provisioning (Okta refused, the training database was down...). */
  async failed(s: SignInContext, reason: { field: string; reason: string }, who: { issuer?: string; subject?: string } = {}): Promise<void> {
    await this.provisioning.auditFailure(this.context(s), reason, who);
  }
}
