import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { SecretBox } from './crypto/secret-box.js';
import { OutboundHttp } from './http/outbound-http.js';

/** Small adapters everyone uses: the clock, the secrets keyring, outbound HTTP to tenants' Okta. */
@Global()
@Module({ providers: [Clock, SecretBox, OutboundHttp], exports: [Clock, SecretBox, OutboundHttp] })
export class CommonModule {}
