import { Global, Module } from '@nestjs/common';
import { Metrics } from '../observability/metrics.js';
import { Clock } from './clock.js';
import { SecretBox } from './crypto/secret-box.js';
import { MetadataCache } from './http/metadata-cache.js';
import { OktaBackoff } from './http/okta-backoff.js';
import { OutboundHttp } from './http/outbound-http.js';

/**
 * Small adapters everyone uses: the clock, the secrets keyring, outbound HTTP to tenants' Okta (with its
 * per-tenant back-off and the JWKS/discovery cache), and the metrics registry.
 */
@Global()
@Module({
  providers: [Clock, SecretBox, OutboundHttp, OktaBackoff, MetadataCache, Metrics],
  exports: [Clock, SecretBox, OutboundHttp, OktaBackoff, MetadataCache, Metrics],
})
export class CommonModule {}
