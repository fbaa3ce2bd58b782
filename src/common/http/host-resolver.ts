import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { Injectable } from '@nestjs/common';

/**
 * Name resolution for calls to tenants' Okta, behind an adapter: the address policy (no loopback, link-local
 * or private addresses unless the operator allows them) is applied to what this returns, before any connection.
 * Replace it (createApp's `adapters.hostResolver`) to see how the policy treats a name that resolves to, say,
 * 169.254.169.254, without any DNS change.
 */
export abstract class HostResolver {
  abstract lookup(hostname: string): Promise<LookupAddress[]>;
}

/** The operating system's resolver (getaddrinfo), all addresses. */
@Injectable()
export class SystemHostResolver extends HostResolver {
  async lookup(hostname: string): Promise<LookupAddress[]> {
    return lookup(hostname, { all: true, verbatim: true });
  }
}
