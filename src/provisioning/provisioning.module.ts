import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AdminAuditsController } from './admin-audits.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsers } from './admin-users.service.js';
import { AuditQuery } from './audit-query.js';
import { AuditRetention } from './audit-retention.js';
import { DirectoryUsers } from './directory-users.js';
import { ProvisioningService } from './provisioning.service.js';

/** Provisioning: claims → checked fields → one atomic write of user, locations and audit; hand edits; the audit API. */
@Module({
  imports: [TenantsModule],
  controllers: [AdminUsersController, AdminAuditsController],
  providers: [ProvisioningService, DirectoryUsers, AdminUsers, AuditQuery, AuditRetention],
  exports: [ProvisioningService, DirectoryUsers, AdminUsers],
})
export class ProvisioningModule {}
