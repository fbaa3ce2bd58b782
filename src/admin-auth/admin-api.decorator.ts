import { applyDecorators, UseGuards, UseInterceptors } from '@nestjs/common';
import { AdminActionInterceptor } from './admin-action-log.js';
import { AdminGuard } from './admin.guard.js';

/**
 * Marks a controller as part of the admin API: AdminGuard authenticates the caller and checks tenant scope,
 * and AdminActionInterceptor records the request in the admin action log. Only here, not as a global
 * interceptor: a global one put an RxJS pipeline on every request of the apps' API and sign-in too.
 */
export const AdminApi = () => applyDecorators(UseGuards(AdminGuard), UseInterceptors(AdminActionInterceptor));
