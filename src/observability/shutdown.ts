import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Whether this instance is shutting down. From SIGTERM on, readiness answers 503 (a load balancer stops
 * sending new sign-ins) while the listener drains: requests in flight — a sign-in half-way through its Okta
 * calls — finish, and only then are the database pool and the Okta connections closed (Nest closes the
 * HTTP server before running the shutdown hooks that do that).
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
