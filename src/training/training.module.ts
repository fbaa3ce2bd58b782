import { Module } from '@nestjs/common';
import { ProvisioningModule } from '../provisioning/provisioning.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AdminTrainingController } from './admin-training.controller.js';
import { TrainingTargets } from './training-targets.js';

/**
 * Training environments: where each tenant's training database is (from its configuration in force, for
 * DirectoryDatabases) and the account managers' endpoints for its data. The sign-in and token paths are the
 * production ones with environment = training.
 */
@Module({
  imports: [TenantsModule, ProvisioningModule],
  controllers: [AdminTrainingController],
  providers: [TrainingTargets],
})
export class TrainingModule {}
