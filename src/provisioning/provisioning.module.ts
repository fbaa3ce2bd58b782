import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AdminDirectoryController } from './admin-directory.controller.js';
import { DirectoryUsers } from './directory-users.js';
import { ProvisioningService } from './provisioning.service.js';

/** Provisioning: claims → checked fields → one atomic write of user, locations and audit. */
@Module({
  imports: [TenantsModule],
  controllers: [AdminDirectoryController],
  providers: [ProvisioningService, DirectoryUsers],
  exports: [ProvisioningService, DirectoryUsers],
})
export class ProvisioningModule {}
