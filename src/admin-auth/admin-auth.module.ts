import { Global, Module } from '@nestjs/common';
import { AdminActionInterceptor, AdminActionLog } from './admin-action-log.js';
import { AdminAuthController } from './admin-auth.controller.js';
import { AdminCredentials } from './admin-credentials.service.js';
import { AdminGuard } from './admin.guard.js';

/**
 * Admin authorization: account managers and operators, their credentials, the per-tenant scope check every
 * admin route gets from AdminGuard, and the admin action log (its interceptor records every admin request). Admin controllers say @AdminApi().
 */
@Global()
@Module({
  controllers: [AdminAuthController],
  providers: [AdminCredentials, AdminActionLog, AdminGuard, AdminActionInterceptor],
  exports: [AdminCredentials, AdminActionLog, AdminGuard, AdminActionInterceptor],
})
export class AdminAuthModule {}
