import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { TenantConfig } from './tenant-config.schema.js';

@Entity('tenants')
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') slug!: string;
  @Column('text') name!: string;
  @Column('text') status!: 'active' | 'disabled';
  @Column('integer', { name: 'active_version', nullable: true }) activeVersion!: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('tenant_config_versions')
export class TenantConfigVersionEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' }) tenantId!: string;
  @PrimaryColumn('integer') version!: number;
  @Column('jsonb') config!: TenantConfig;
  @Column('text') status!: 'draft' | 'active' | 'superseded' | 'discarded';
  @Column('text') author!: string;
  @Column('text', { nullable: true }) note!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('integer', { name: 'base_version', nullable: true }) baseVersion!: number | null;
  @Column('timestamptz', { name: 'checked_at', nullable: true }) checkedAt!: Date | null;
  @Column('jsonb', { name: 'check_result', nullable: true }) checkResult!: unknown;
  @Column('jsonb', { default: () => `'[]'` }) warnings!: unknown;
}

@Entity('tenant_domains')
export class TenantDomainEntity {
  @PrimaryColumn('text') domain!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  /** A verified domain, or the source domain of a username rewrite (see domain-claims.ts). */
  @Column('text') kind!: 'verified' | 'rewrite';
}

@Entity('tenant_secrets')
export class TenantSecretEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text', { name: 'key_id' }) keyId!: string;
  /** All three are wiped (null) once the secret is retired. */
  @Column('bytea', { nullable: true }) iv!: Buffer | null;
  @Column('bytea', { nullable: true }) ciphertext!: Buffer | null;
  @Column('bytea', { nullable: true }) tag!: Buffer | null;
  @Column('text', { nullable: true }) label!: string | null;
  @Column('text', { name: 'created_by' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt!: Date | null;
  @Column('text', { name: 'retired_by', nullable: true }) retiredBy!: string | null;
}

export const tenantEntities = [TenantEntity, TenantConfigVersionEntity, TenantDomainEntity, TenantSecretEntity];
