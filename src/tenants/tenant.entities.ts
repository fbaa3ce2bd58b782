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
  @Column('text') status!: 'draft' | 'active' | 'superseded';
  @Column('text') author!: string;
  @Column('text', { nullable: true }) note!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('tenant_domains')
export class TenantDomainEntity {
  @PrimaryColumn('text') domain!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
}

@Entity('tenant_secrets')
export class TenantSecretEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text', { name: 'key_id' }) keyId!: string;
  @Column('bytea') iv!: Buffer;
  @Column('bytea') ciphertext!: Buffer;
  @Column('bytea') tag!: Buffer;
  @Column('text', { name: 'created_by' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const tenantEntities = [TenantEntity, TenantConfigVersionEntity, TenantDomainEntity, TenantSecretEntity];
