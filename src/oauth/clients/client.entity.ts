import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type GrantType = 'authorization_code' | 'refresh_token' | 'password';

/** An iQmetrix application registered as an OAuth 2.0 client of this service. */
@Entity('oauth_clients')
export class OAuthClientEntity {
  @PrimaryColumn('text', { name: 'client_id' }) clientId!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'client_type' }) clientType!: 'public' | 'confidential';
  @Column('text', { name: 'secret_hash', nullable: true, select: false }) secretHash!: string | null;
  @Column('text', { name: 'redirect_uris', array: true }) redirectUris!: string[];
  @Column('text', { name: 'post_logout_redirect_uris', array: true }) postLogoutRedirectUris!: string[];
  @Column('text', { name: 'grant_types', array: true }) grantTypes!: GrantType[];
  @Column('text') environment!: 'production' | 'training';
  /** May call /oauth2/introspect (RFC 7662): a resource server. Confidential clients only. */
  @Column('boolean', { name: 'may_introspect' }) introspection!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
