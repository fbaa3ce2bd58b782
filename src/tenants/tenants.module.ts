import { Module } from '@nestjs/common';
import { AdminTenantsController } from './admin-tenants.controller.js';
import { CompanyTree } from './company-tree.service.js';
import { ConfigValidator } from './config-validator.js';
import { OktaDiscovery } from './okta-discovery.js';
import { TenantRuntime } from './tenant-runtime.js';
import { TenantsService } from './tenants.service.js';

/** Tenant configuration: tenants, their Okta, domains, mappings and company tree. */
@Module({
  controllers: [AdminTenantsController],
  providers: [TenantsService, TenantRuntime, OktaDiscovery, CompanyTree, ConfigValidator],
  exports: [TenantsService, TenantRuntime, OktaDiscovery, CompanyTree, ConfigValidator],
})
export class TenantsModule {}
