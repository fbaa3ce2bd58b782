import { Module } from '@nestjs/common';
import { AdminReconciliationController } from './admin-reconciliation.controller.js';
import { Housekeeping } from './housekeeping.service.js';
import { Reconciliation } from './reconciliation.service.js';

/** User lifecycle for tenants without SCIM (the periodic reconciliation of users not seen), and housekeeping of dead rows. */
@Module({
  controllers: [AdminReconciliationController],
  providers: [Reconciliation, Housekeeping],
  exports: [Reconciliation, Housekeeping],
})
export class LifecycleModule {}
