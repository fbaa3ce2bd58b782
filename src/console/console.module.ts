import { Module } from '@nestjs/common';
import { ConsoleAdminController } from './console-admin.controller.js';
import { ConsoleController, ConsoleSessionController } from './console.controller.js';
import { ConsoleSessions } from './console-sessions.service.js';

/**
 * The account managers' web console under /console: its page and assets, its sign-in (a session opened with an
 * account manager's API token), and one read-only admin addition (the status summary). Every change it makes goes through /admin.
 */
@Module({
  // Order matters: the session API and the assets are matched before the shell's catch-all route.
  controllers: [ConsoleSessionController, ConsoleAdminController, ConsoleController],
  providers: [ConsoleSessions],
})
export class ConsoleModule {}
