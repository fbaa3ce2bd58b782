import { Injectable } from '@nestjs/common';
import { DirectoryDatabases, type Environment } from '../database/directory-databases.js';
import { identityMatch, identityValues } from './issuer-origin.js';

/** A provisioned user as tokens and /v1/me present them. */
export interface DirectoryUser {
  id: string;
  tenantId: string;
  status: 'active' | 'disabled';
  username: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  securityRole: string | null;
  locations: string[];
  profile: Record<string, unknown>;
  updatedAt: string;
}

@Injectable()
export class DirectoryUsers {
  constructor(private readonly directories: DirectoryDatabases) {}

  async find(environment: Environment, tenantId: string, userId: string): Promise<DirectoryUser | null> {
    const db = await this.directories.forEnvironment(tenantId, environment);
    const rows = await db.query(
      `SELECT u.*, COALESCE((SELECT array_agg(l.location_external_id ORDER BY l.location_external_id) FROM user_locations l WHERE l.user_id = u.id), '{}') AS locations
         FROM users u WHERE u.id = $1 AND u.tenant_id = $2`,
      [userId, tenantId],
    );
    const u = rows[0];
    if (!u) return null;
    return {
      id: u.id,
      tenantId: u.tenant_id,
      status: u.status,
      username: u.username,
      firstName: u.first_name,
      lastName: u.last_name,
      email: u.email,
      securityRole: u.security_role,
      locations: u.locations,
      updatedAt: new Date(u.updated_at).toISOString(),
      profile: {
        emailDisplayName: u.email_display_name,
        homePhone: u.home_phone,
        cellPhone: u.cell_phone,
        organizationalRoleId: u.organizational_role_id,
        supervisor: u.supervisor_username,
        idNumber: u.id_number,
        commissionGroupId: u.commission_group_id,
        commissionType: u.commission_type,
        customFields: u.custom_fields,
      },
    };
  }

  /** For tenants without auto-provisioning: the user must already exist for this identity (one query: id and status). */
  async findIdentity(environment: Environment, tenantId: string, issuer: string, subject: string): Promise<{ id: string; status: 'active' | 'disabled' } | null> {
    const db = await this.directories.forEnvironment(tenantId, environment);
    // As provisioning matches: this identity, else the same sub under an earlier issuer of the same Okta org.
    const rows = await db.query(`SELECT id, status FROM users WHERE ${identityMatch.where} ${identityMatch.preferExact}`, identityValues(tenantId, issuer, subject));
    return rows[0] ? { id: rows[0].id, status: rows[0].status } : null;
  }
}
