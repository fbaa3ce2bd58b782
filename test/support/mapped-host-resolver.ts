import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { HostResolver, SystemHostResolver } from '../../src/common/http/host-resolver.js';

/**
 * A resolver with a hosts table in front of the system one: lets a test name a host that "resolves" to
 * 169.254.169.254 or 10.0.0.1 and see the address policy refuse it before any connection is made.
 */
export class MappedHostResolver extends HostResolver {
  private readonly system = new SystemHostResolver();
  readonly asked: string[] = [];

  constructor(private readonly table: Record<string, string[]>) {
    super();
  }

  async lookup(hostname: string): Promise<LookupAddress[]> {
    this.asked.push(hostname);
    const mapped = this.table[hostname.toLowerCase()];
    if (mapped) return mapped.map((address) => ({ address, family: isIP(address) }));
    return this.system.lookup(hostname);
  }
}
