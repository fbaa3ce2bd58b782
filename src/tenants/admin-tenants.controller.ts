import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { Actor, AdminAccess, type AdminActor, AdminTenant, type AdminTenantRef, noteAdminAction } from '../admin-auth/admin.guard.js';
import { AdminCredentials } from '../admin-auth/admin-credentials.service.js';
import { type FieldProblem, ProblemError } from '../common/errors/problem.js';
import { ownValue } from '../common/own.js';
import { ignoredKeys } from '../common/validation/ignored-keys.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { decimalInt, parseOrProblem } from '../common/validation/zod.js';
import { jsonLoadBody, loadOptions, readBulkBody } from './bulk/bulk-body.js';
import { CompanyTree, LOCATION_COLUMNS } from './company-tree.service.js';
import { RQ_ID_COLUMNS, RqIds, rqIdsOptionsSchema } from './rq-ids.service.js';
import { oktaEndpointsSchema, tenantConfigInputSchema } from './tenant-config.schema.js';
import { exampleConfig, exampleProblem, exampleTenant, exampleVersion } from './openapi-examples.js';
import { MAX_VERSION, activateSchema, createTenantSchema, locationsSchema, rollbackSchema, stageSecretSchema, updateConfigSchema } from './tenant-inputs.js';
import { TenantsService, type VersionView } from './tenants.service.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';
import { clipName } from '../common/validation/field-path.js';

const rqIdsBodySchema = tenantConfigInputSchema.shape.rqIds.unwrap().partial().extend(rqIdsOptionsSchema.shape);
const versionParam = decimalInt(1, MAX_VERSION);
const versionQuery = z.strictObject({ against: versionParam.optional() });
const parseVersion = (raw: string) => {
  const v = versionParam.safeParse(raw);
  if (!v.success) throw ProblemError.notFound(`Version ${clipName(String(raw), 20)}`);
  return v.data;
};

@ApiTags('tenants')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin/tenants')
@AdminApi()
export class AdminTenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly tree: CompanyTree,
    private readonly credentials: AdminCredentials,
    private readonly rqIds: RqIds,
  ) {}

  @Post()
  @AdminAccess('any')
  @ApiOperation({ summary: 'Create a tenant with its Okta settings. Validated like every save: the discovery document is fetched over verified TLS and its issuer must match exactly; domains must be free.' })
  @ApiBody({ schema: { ...jsonSchema(createTenantSchema), example: { slug: 'kentel', name: 'Kentel', clientSecret: '(write-only)', config: exampleConfig } } })
  @ApiResponse({ status: 201, description: 'Created, with version 1 in force.', schema: { example: exampleTenant } })
  @ApiResponse({ status: 422, description: 'A field is invalid; each problem names its field.', schema: { example: exampleProblem } })
  @ApiResponse({ status: 409, description: 'The slug or a domain belongs to another tenant.' })
  async create(@Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    const input = operatorNamesDatabase(parseOrProblem(createTenantSchema, body), actor);
    const tenant = withIgnoredKeys(await this.tenants.create(input, actor.id), body, input);
    noteAdminAction(req, { tenant: tenant.slug, version: 1 });
    // A manager looks after the tenants they onboard.
    if (actor.role === 'manager' && actor.principalId) await this.credentials.grantTenant(actor.principalId, tenant.id, actor);
    return tenant;
  }

  @Get()
  @AdminAccess('any')
  @ApiOperation({ summary: 'The tenants the caller may see (operators: all), each with its configuration in force (never the client secret).' })
  async list(@Actor() actor: AdminActor) {
    const all = await this.tenants.list();
    return actor.role === 'operator' ? all : all.filter((t) => actor.tenantIds.has(t.id));
  }

  @Get(':slug')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'One tenant with the configuration in force and its pending drafts. The client secret is never returned, in any form: only a reference to it.' })
  @ApiResponse({ status: 200, schema: { example: exampleTenant } })
  get(@AdminTenant() tenant: AdminTenantRef) {
    return this.tenants.getById(tenant.id);
  }

  @Put(':slug/config')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Save a new configuration version and put it in force at once (drafts: POST .../versions). The client secret is optional: omitted keeps the current one.' })
  @ApiBody({ schema: { ...jsonSchema(updateConfigSchema), example: { note: 'Map the Key Holder group', config: exampleConfig } } })
  async updateConfig(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    const input = operatorNamesDatabase(parseOrProblem(updateConfigSchema, body), actor);
    const view = withIgnoredKeys(await this.tenants.saveAndActivate(tenant.id, input, actor.id), body, input);
    noteAdminAction(req, { version: view.activeVersion });
    return view;
  }

  // ---- versions: draft → check → activate; rollback ----

  @Get(':slug/versions')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Configuration history, newest first: author, time, status, activations and a readable diff of each version.' })
  versions(@AdminTenant() tenant: AdminTenantRef) {
    return this.tenants.versions(tenant.id);
  }

  @Post(':slug/versions')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Stage a new version as a draft (validated like a save; not in force until activated).' })
  @ApiBody({ schema: { ...jsonSchema(updateConfigSchema), example: { note: 'New secret and the Key Holder group', clientSecretId: '5b0e7c7e-8f9a-4c1d-9e2f-3a4b5c6d7e8f', config: exampleConfig } } })
  @ApiResponse({ status: 201, schema: { example: exampleVersion } })
  async createDraft(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    const input = operatorNamesDatabase(parseOrProblem(updateConfigSchema, body), actor);
    const v = withIgnoredKeys<VersionView & { warnings?: FieldProblem[] }>(await this.tenants.createDraft(tenant.id, input, actor.id), body, input);
    noteAdminAction(req, { version: v.version });
    return v;
  }

  @Get(':slug/versions/:version')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiParam({ name: 'version', example: 3 })
  @ApiOperation({ summary: 'One version: its configuration (never the secret), its last check, activations, and the diff against the version it was based on (or ?against=N).' })
  @ApiResponse({ status: 200, schema: { example: exampleVersion } })
  version(@AdminTenant() tenant: AdminTenantRef, @Param('version') version: string, @Query() query: unknown) {
    return this.tenants.version(tenant.id, parseVersion(version), parseOrProblem(versionQuery, query, 'query').against);
  }

  @Post(':slug/versions/:version/check')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiParam({ name: 'version', example: 3 })
  @ApiOperation({ summary: 'Check a version as it stands now (discovery, domains, mappings, its secret) without activating it.' })
  @ApiResponse({ status: 200, schema: { example: { version: 3, ok: false, conflict: false, problems: [{ field: 'config.roles.map["Key Holder"]', reason: 'RQ-KeyHolder is not one of this tenant\'s RQ security roles (RQ-StoreManager, RQ-Associate)' }], warnings: [] } } })
  async check(@AdminTenant() tenant: AdminTenantRef, @Param('version') version: string) {
    const { endpoints: _e, ...result } = await this.tenants.check(tenant.id, parseVersion(version));
    return result;
  }

  @Post(':slug/versions/:version/activate')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiParam({ name: 'version', example: 3 })
  @ApiOperation({ summary: 'Put a draft in force (after checking it again). Sign-ins already under way finish with the version they started with.' })
  @ApiBody({ schema: { ...jsonSchema(activateSchema), example: { note: 'Approved by the customer on the call', baseVersion: 3 } } })
  @ApiResponse({ status: 409, description: 'Another version was put in force since baseVersion (or since the draft\'s own base, unless replaceNewer).' })
  async activate(@AdminTenant() tenant: AdminTenantRef, @Param('version') version: string, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    const v = parseVersion(version);
    noteAdminAction(req, { version: v });
    return this.tenants.activate(tenant.id, v, actor.id, parseOrProblem(activateSchema, body));
  }

  @Post(':slug/rollback')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Put an earlier version back in force (after checking it again). The next sign-in uses it, and its audit names it.' })
  @ApiBody({ schema: { ...jsonSchema(rollbackSchema), example: { toVersion: 2, baseVersion: 3, note: 'Version 3 mapped the wrong group' } } })
  @ApiResponse({ status: 409, description: 'Another version was put in force since baseVersion, or the version is not one that was in force before.' })
  async rollback(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    const input = parseOrProblem(rollbackSchema, body);
    noteAdminAction(req, { version: input.toVersion });
    return this.tenants.rollback(tenant.id, input.toVersion, actor.id, input);
  }

  @Delete(':slug/versions/:version')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiParam({ name: 'version', example: 4 })
  @ApiOperation({ summary: 'Discard a draft (it stays in the history as discarded).' })
  discard(@AdminTenant() tenant: AdminTenantRef, @Param('version') version: string) {
    return this.tenants.discard(tenant.id, parseVersion(version));
  }

  // ---- client secrets ----

  @Post(':slug/secrets')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Stage a new Okta client secret (write-only, encrypted at rest) before the old one is retired. Test it with the troubleshooting tool, then use it in a version.' })
  @ApiBody({ schema: { ...jsonSchema(stageSecretSchema), example: { clientSecret: '(write-only)', label: 'rotation 2026-12' } } })
  @ApiResponse({ status: 201, schema: { example: { id: '5b0e7c7e-8f9a-4c1d-9e2f-3a4b5c6d7e8f', label: 'rotation 2026-12', status: 'staged', usedByVersions: [], createdBy: 'principal:3f0a8c1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', createdAt: '2026-12-01T12:00:00.000Z', retiredAt: null } } })
  async stageSecret(@AdminTenant() tenant: AdminTenantRef, @Body() body: unknown, @Actor() actor: AdminActor, @Req() req: unknown) {
    const input = parseOrProblem(stageSecretSchema, body);
    const s = await this.tenants.stageSecret(tenant.id, input.clientSecret, actor.id, input.label);
    noteAdminAction(req, { secret: s.id });
    return s;
  }

  @Get(':slug/secrets')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'The client secrets of a tenant: which is in use, which are staged or retired (never their values).' })
  secrets(@AdminTenant() tenant: AdminTenantRef) {
    return this.tenants.secrets(tenant.id);
  }

  @Post(':slug/secrets/:id/retire')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'Retire a secret (wiped for good). Refused while the version in force uses it or a sign-in started with it is under way.' })
  retireSecret(@AdminTenant() tenant: AdminTenantRef, @Param('id') id: string, @Actor() actor: AdminActor) {
    if (!z.uuid().safeParse(id).success) throw ProblemError.notFound('Secret');
    return this.tenants.retireSecret(tenant.id, id, actor.id);
  }

  // ---- company tree ----

  @Put(':slug/locations')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiConsumes('application/json', 'text/csv')
  @ApiOperation({ summary: 'Bulk load the company tree (External Node Identifier, name, parent) as JSON or CSV (header externalId,name,parentExternalId). Adds and changes, never deletes; each bad row is rejected with its reason, the rest is loaded.' })
  @ApiBody({
    schema: { ...jsonSchema(locationsSchema), example: { locations: [{ externalId: 'REGION-W', name: 'West' }, { externalId: 'LOC-1', name: 'Vancouver Downtown', parentExternalId: 'REGION-W' }] } },
    examples: { csv: { summary: 'text/csv', value: 'externalId,name,parentExternalId\nREGION-W,West,\nLOC-1,Vancouver Downtown,REGION-W\n' } },
  })
  @ApiResponse({ status: 200, description: 'What was added, changed and rejected.', schema: { example: { added: ['LOC-1', 'REGION-W'], changed: [], unchanged: 0, rejected: [{ row: 4, externalId: 'LOC-9', reason: 'its parent REGION-X is neither in the company tree nor accepted in this load' }] } } })
  async putLocations(@AdminTenant() tenant: AdminTenantRef, @Req() req: Request) {
    const load = await readBulkBody(req, 'locations', 20000, LOCATION_COLUMNS);
    loadOptions(z.strictObject({}), load);
    const report = await this.tree.loadRows(tenant.id, load.rows);
    noteAdminAction(req, { added: report.added.length, changed: report.changed.length, rejected: report.rejected.length });
    return report;
  }

  @Put(':slug/rq-ids')
  @HttpCode(200)
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiConsumes('application/json', 'text/csv')
  @ApiOperation({ summary: 'Bulk load the RQ IDs mappings refer to (organizational roles, commission groups, security roles, commission types) as JSON or CSV (header kind,id; options mode, activate, note in the query). A load is a new configuration version, validated like any save.' })
  @ApiBody({
    schema: { ...jsonSchema(rqIdsBodySchema), example: { organizationalRoles: ['101', '102'], commissionGroups: ['CG-1'], securityRoles: ['RQ-StoreManager', 'RQ-Associate'], mode: 'merge', activate: true } },
    examples: { csv: { summary: 'text/csv (?mode=replace&activate=false)', value: 'kind,id\norganizationalRole,101\ncommissionGroup,CG-1\nsecurityRole,RQ-StoreManager\n' } },
  })
  @ApiResponse({ status: 200, schema: { example: { version: 5, status: 'active', kinds: { organizationalRoles: { added: ['102'], removed: [], unchanged: 1 }, commissionGroups: { added: [], removed: [], unchanged: 1 }, securityRoles: { added: [], removed: [], unchanged: 2 }, commissionTypes: { added: [], removed: [], unchanged: 0 } }, rejected: [{ row: 3, kind: 'organizationalRoles', id: '10 1', reason: 'id must be an RQ ID (letters, digits, - or _; at most 50)' }], warnings: [] } } })
  async putRqIds(@AdminTenant() tenant: AdminTenantRef, @Req() req: Request, @Actor() actor: AdminActor) {
    const body = /^(text|application)\/csv\b/i.test(req.headers['content-type'] ?? '')
      ? await readBulkBody(req, 'rows', 20000, RQ_ID_COLUMNS)
      : RqIds.rowsFromLists(jsonLoadBody(req, '{"organizationalRoles": [...]}'));
    const report = await this.rqIds.load(tenant.id, body, actor.id);
    noteAdminAction(req, { version: report.version, rejected: report.rejected.length });
    return report;
  }

  @Get(':slug/locations')
  @ApiParam({ name: 'slug', example: 'kentel' })
  @ApiOperation({ summary: 'The company tree of a tenant.' })
  async locations(@AdminTenant() tenant: AdminTenantRef) {
    return this.tree.list(tenant.id);
  }
}

/**
 * A training database URL names a database server and the credentials to write there: an operator's decision.
 * An account manager configures everything else of training (on or off, a managed database, the mappings, the
 * tree) and keeps a URL an operator gave; giving a new one is refused.
 */
function operatorNamesDatabase<T extends { trainingDatabaseUrl?: string }>(input: T, actor: AdminActor): T {
  if (input.trainingDatabaseUrl === undefined || actor.role === 'operator') return input;
  throw new ProblemError(403, 'Forbidden', 'Only an operator may name a training database by URL: it names a database server and credentials to it. Ask an operator to set it, or use "database": "managed".', [
    { field: 'trainingDatabaseUrl', reason: 'only an operator may set it' },
  ]);
}

/**
 * What a tenant's GET shows that a save does not take, with the shape GET shows it in: sent back as GET showed it,
 * it is not a mistake (no warning). Any other value there (a secret typed into config.okta.clientSecret) is
 * ignored all the same, with a warning saying where it belongs; the value itself is never echoed.
 */
const VIEW_ONLY: Record<string, { shown: z.ZodType; reason: string }> = {
  'config.okta.endpoints': { shown: oktaEndpointsSchema.strict(), reason: 'is shown by GET, never saved from a request: the endpoints come from the issuer\'s discovery document; it was ignored' },
  'config.okta.clientSecret': {
    shown: z.strictObject({ set: z.literal(true), id: z.uuid(), updatedAt: z.iso.datetime() }),
    reason: 'is only a reference to the secret, shown by GET; give a new secret as clientSecret beside config (or clientSecretId). It was ignored',
  },
  'config.training.databaseTarget': { shown: z.string(), reason: 'is shown by GET, never saved from a request: it is where trainingDatabaseUrl points; it was ignored' },
  'config.training.databaseUrl': {
    shown: z.strictObject({ set: z.literal(true) }),
    reason: 'is only shown as set by GET; give a new URL as trainingDatabaseUrl beside config. It was ignored',
  },
};
const sentBackAsShown = (field: string, value: unknown) => ownValue(VIEW_ONLY, field)?.shown.safeParse(value).success === true;

const MAX_IGNORED_NAMED = 20;

/** A saved tenant, with a warning for each key of the request that was not a field (a typo is not saved silently). */
function withIgnoredKeys<T extends { warnings?: FieldProblem[] }>(view: T, raw: unknown, kept: unknown): T {
  const ignored = ignoredKeys(raw, kept, sentBackAsShown);
  if (ignored.length === 0) return view;
  const reason = (field: string) => ownValue(VIEW_ONLY, field)?.reason ?? 'is not a field of this request; it was ignored';
  const named = ignored.slice(0, MAX_IGNORED_NAMED).map((field) => ({ field, reason: reason(field) }));
  const more = ignored.length > MAX_IGNORED_NAMED ? [{ field: '(body)', reason: `and ${ignored.length - MAX_IGNORED_NAMED} more keys that are no field were ignored` }] : [];
  return { ...view, warnings: [...(view.warnings ?? []), ...named, ...more] };
}
