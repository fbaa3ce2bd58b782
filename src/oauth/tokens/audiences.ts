import type { Environment } from '../../database/directory-databases.js';

/**
 * Access tokens name the API they are for. Production and training are different audiences, so a training
 * token is refused by every production endpoint and the other way round.
 */
export const apiAudience: Record<Environment, string> = {
  production: 'urn:iqmetrix:api',
  training: 'urn:iqmetrix:api:training',
};
