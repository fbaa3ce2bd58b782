import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { ConsoleAdminController } from './console-admin.controller.js';
import { ConsoleController, ConsoleSessionController } from './console.controller.js';
import { ConsoleSessions } from './console-sessions.service.js';

/**
 * The account managers' web console under /console: its page and assets, its sign-in (a session opened with an
 * account manager's API token), and two read-only admin additions. Every change it makes goes through /admin.
 */
@Module({
  imports: [TenantsModule],
  // Order matters: the session API and the assets are matched before the shell's catch-all route.
  controllers: [ConsoleSessionController, ConsoleAdminController, ConsoleController],
  providers: [ConsoleSessions],
})
export class ConsoleModule {}
