import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { OpsGuard } from './ops.guard.js';
import { ShutdownState } from './shutdown.js';

/** Health (terminus), Prometheus metrics (the registry itself is in CommonModule), shutdown state. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [OpsGuard, ShutdownState],
  exports: [ShutdownState],
})
export class ObservabilityModule {}
