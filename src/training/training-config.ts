import type { Environment } from '../database/directory-databases.js';
import type { TenantConfig } from '../tenants/tenant-config.schema.js';

/** What provisioning uses for one environment: the tenant's rules, with training's overrides where it has them. */
export interface EnvironmentRules {
  config: TenantConfig;
  /** Production External Node Identifier (as Okta sends it) → the training company tree's. */
  locationMap?: Record<string, string>;
}

/**
 * Training reuses everything of production's configuration (Okta, claim rules, username rules, RQ IDs,
 * commission types, custom fields) except what the training section overrides: the role mapping, the
 * unknown-location policy, and a translation of location identifiers into the training company tree.
 */
export function rulesFor(config: TenantConfig, environment: Environment): EnvironmentRules {
  const training = config.training;
  if (environment === 'production' || !training) return { config };
  const map = training.locations?.map ?? {};
  return {
    config: {
      ...config,
      roles: training.roles ?? config.roles,
      unknownLocations: training.locations?.unknownLocations ?? config.unknownLocations,
    },
    ...(Object.keys(map).length ? { locationMap: map } : {}),
  };
}

export function trainingEnabled(config: TenantConfig): boolean {
  return config.training?.enabled === true;
}
