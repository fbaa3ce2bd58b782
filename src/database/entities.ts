import { OAuthClientEntity } from '../oauth/clients/client.entity.js';
import { tenantEntities } from '../tenants/tenant.entities.js';

/** Every TypeORM entity of the control schema (the repositories used off the hot path). */
export const entities: Function[] = [...tenantEntities, OAuthClientEntity];
