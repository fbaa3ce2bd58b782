import { Module } from '@nestjs/common';
import { AdminReconciliationController } from './admin-reconciliation.controller.js';
import { Reconciliation } from './reconciliation.service.js';

/** User lifecycle for tenants without SCIM: the periodic reconciliation of users not seen. */
@Module({
  controllers: [AdminReconciliationController],
  providers: [Reconciliation],
  exports: [Reconciliation],
})
export class LifecycleModule {}
