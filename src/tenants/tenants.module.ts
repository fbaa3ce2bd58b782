import { Module } from '@nestjs/common';
import { AdminSecretsController } from './admin-secrets.controller.js';
import { AdminTenantsController } from './admin-tenants.controller.js';
import { SecretsReseal } from './secrets-reseal.js';
import { AdminTroubleshootController } from './admin-troubleshoot.controller.js';
import { DryRun } from './troubleshoot/dry-run.js';
import { TlsProbe } from './troubleshoot/tls-probe.js';
import { Troubleshooter } from './troubleshoot/troubleshooter.js';
import { CompanyTree } from './company-tree.service.js';
import { RqIds } from './rq-ids.service.js';
import { ConfigValidator } from './config-validator.js';
import { OktaDiscovery } from './okta-discovery.js';
import { TenantRuntime } from './tenant-runtime.js';
import { TenantsService } from './tenants.service.js';

/** Tenant configuration: tenants, their Okta, domains, mappings and company tree. */
@Module({
  controllers: [AdminTenantsController, AdminTroubleshootController, AdminSecretsController],
  providers: [SecretsReseal, TenantsService, TenantRuntime, OktaDiscovery, CompanyTree, ConfigValidator, TlsProbe, Troubleshooter, DryRun, RqIds],
  exports: [TenantsService, TenantRuntime, OktaDiscovery, CompanyTree, ConfigValidator, TlsProbe],
})
export class TenantsModule {}
