import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminAccess, AdminTenant, type AdminTenantRef, noteAdminAction } from '../admin-auth/admin.guard.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { OktaDiscovery } from './okta-discovery.js';
import { httpsIssuer } from './tenant-config.schema.js';
import { DryRun, dryRunSchema } from './troubleshoot/dry-run.js';
import { Troubleshooter } from './troubleshoot/troubleshooter.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';
import { versionNumber } from './tenant-inputs.js';

// Strict, as every admin body but a configuration's: a key that is no field is a 422 naming it.
const troubleshootSchema = z.strictObject({
  version: versionNumber.optional(),
  clientSecretId: z.uuid('must be the id of a staged secret').optional(),
});
const discoverSchema = z.strictObject({ issuer: httpsIssuer });

const exampleReport = {
  tenant: 'kentel', version: 3, issuer: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7', ranAt: '2026-12-01T12:00:00.000Z', status: 'warn',
  checks: [
    { id: 'discovery', title: 'Okta discovery document', status: 'pass', summary: 'Okta answers at its discovery address and names exactly the configured issuer.', details: {} },
    { id: 'tls', title: 'Security certificate (TLS)', status: 'warn', summary: 'The security certificate of kentel.okta.com is valid but expires soon, on 2026-12-09 (in 8 days). Ask the customer to renew it before then, or sign-ins will stop.', details: { daysLeft: 8 } },
    { id: 'jwks', title: 'Signing keys (JWKS)', status: 'pass', summary: 'Okta publishes 2 signing keys (RS256), so this service can check that sign-ins really come from it.', details: {} },
    { id: 'scopes', title: 'Scopes the integration needs', status: 'pass', summary: 'Okta supports every scope the integration asks for (openid, email, profile, phone, iqmetrix).', details: {} },
    { id: 'client-authentication', title: 'Client ID and secret', status: 'pass', summary: 'Okta accepted the client ID and the client secret (client_secret_basic). It does not let this app ask for a token without a user, which is normal for a sign-in app, so nothing more was tested.', details: { probe: 'client_credentials', oktaError: 'unauthorized_client' } },
    { id: 'endpoints', title: 'Sign-in endpoints', status: 'pass', summary: 'Okta lists secure sign-in, token, user profile and key addresses, and its user profile address answers.', details: {} },
  ],
};

const exampleDryRun = {
  version: 3, outcome: 'updated', claimsFrom: 'pasted', issuer: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7', subject: '00uALICE0001',
  user: { username: 'alice@kentel.com', firstName: 'Alicia', lastName: 'Archer', securityRole: 'RQ-StoreManager', email: 'alice@kentel.com', locations: ['LOC-2', 'LOC-3'], customFields: {} },
  stored: { id: '2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5f7a', status: 'active', username: 'alice@kentel.com', firstName: 'Alice', locations: ['LOC-1', 'LOC-2'] },
  diff: { firstName: { from: 'Alice', to: 'Alicia' }, locations: { from: ['LOC-1', 'LOC-2'], to: ['LOC-2', 'LOC-3'] } },
  problems: [], warnings: [{ field: 'homePhone', reason: 'claim phone_number was not sent; the field was left unchanged' }], sources: { username: 'id_token', firstName: 'id_token' },
};

/** The troubleshooting tool and the dry run, for one tenant (scoped like every admin route). */
@ApiTags('troubleshooting')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin')
@AdminApi()
export class AdminTroubleshootController {
  constructor(
    private readonly troubleshooter: Troubleshooter,
    private readonly dryRun: DryRun,
    private readonly discovery: OktaDiscovery,
  ) {}

  @Post('tenants/:slug/troubleshoot')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Check the tenant\'s Okta: discovery, TLS certificate, signing keys, scopes, client ID and secret, endpoints. Each check is pass, warn or fail with a plain sentence. Optionally for a draft version, or with a staged secret.' })
  @ApiBody({ schema: { ...jsonSchema(troubleshootSchema), example: { version: 4, clientSecretId: '5b0e7c7e-8f9a-4c1d-9e2f-3a4b5c6d7e8f' } } })
  @ApiResponse({ status: 200, schema: { example: exampleReport } })
  async troubleshoot(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown, @Req() req: unknown) {
    const report = await this.troubleshooter.run(tenant, parseOrProblem(troubleshootSchema, body));
    // The console's tenant list shows the last result at a glance (from the admin action log).
    noteAdminAction(req, { result: report.status, version: report.version });
    return report;
  }

  @Post('tenants/:slug/dry-run')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Map a pasted claim set (or the last sign-in\'s claims) exactly as a real sign-in would: the resulting user, the diff against the stored one, every problem. Writes nothing.' })
  @ApiBody({ schema: jsonSchema(dryRunSchema), examples: {
    pasted: { value: { claims: { sub: '00uALICE0001', userName: 'alice@yvr.kentel.local', name: 'Alicia', family_name: 'Archer', email: 'alice@kentel.com', security_group_name: 'Store Manager', assigned_entity_client_entity_ids: 'LOC-2;LOC-3' } } },
    lastSignIn: { value: { lastSignIn: { username: 'alice@kentel.com' } } },
    draft: { value: { version: 4, lastSignIn: true } },
  } })
  @ApiResponse({ status: 200, schema: { example: exampleDryRun } })
  dry(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown) {
    return this.dryRun.run(tenant.id, parseOrProblem(dryRunSchema, body));
  }

  @Post('discovery')
  @HttpCode(200)
  @AdminAccess('any')
  @ApiOperation({ summary: 'Onboarding: what an issuer\'s discovery document says (the endpoints a configuration would store), or why it cannot be used. Reads only.' })
  @ApiBody({ schema: { ...jsonSchema(discoverSchema), example: { issuer: 'https://kentel.okta.com/oauth2/ausahmkfuuR7FgsLi0h7' } } })
  async discover(@Body() body: unknown) {
    const { issuer } = parseOrProblem(discoverSchema, body);
    const r = await this.discovery.discover(issuer);
    // The problem names this request's own field (discovery's is the configuration's, config.okta.issuer).
    return r.ok ? { ok: true, issuer, endpoints: r.endpoints } : { ok: false, issuer, problem: { ...r.problem, field: 'issuer' } };
  }
}
