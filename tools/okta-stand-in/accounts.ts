import { randomBytes } from 'node:crypto';
import type { Account } from 'oidc-provider';

/** Standard OIDC claims by scope (OIDC Core §5.4), as Okta releases them. */
export const STANDARD_CLAIMS: Record<string, string[]> = {
  openid: ['sub'],
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** The integration guide's custom claims, released with scope `iqmetrix`. */
export const IQMETRIX_CLAIMS = [
  'userName', 'security_group_name', 'assigned_entity_client_entity_ids', 'mobile_number',
  'attribute_EmailDisplayName', 'attribute_OrganizationalRoleID', 'attribute_SupervisorUPN',
  'attribute_SpecialIdentifier', 'attribute_CommissionGroupID', 'attribute_CommissionType',
];

const STANDARD = new Set(Object.values(STANDARD_CLAIMS).flat());

export interface TestUser {
  login: string;
  password: string;
  /** Okta user id, e.g. `00u1a2b3c4d5e6f7g8h9`. */
  sub: string;
  /** Profile claims (anything but `sub`); keys outside the standard scopes go out with `iqmetrix`. */
  claims: Record<string, unknown>;
  /** Sign-in refused: account locked. */
  locked: boolean;
  /** Password grant refused as needing MFA (the browser login still works). */
  mfaRequired: boolean;
}

export interface UserInput {
  password: string;
  sub?: string;
  claims?: Record<string, unknown>;
  locked?: boolean;
  mfaRequired?: boolean;
}

/** Changes to a user; a claim set to `undefined` is removed. */
export interface UserPatch {
  password?: string;
  claims?: Record<string, unknown>;
  locked?: boolean;
  mfaRequired?: boolean;
}

export type CredentialCheck =
  | { ok: true; user: TestUser }
  | { ok: false; reason: 'invalid' | 'locked'; user?: TestUser };

/** Test users of one authorization server, keyed by login (case-insensitive, like Okta). */
export class AccountStore {
  private readonly users = new Map<string, TestUser>();
  private readonly subs = new Map<string, TestUser>();
  private readonly customNames = new Set(IQMETRIX_CLAIMS);

  /** `onNewClaimNames` runs when a user brings a claim name not released so far. */
  constructor(private readonly onNewClaimNames: () => void = () => {}) {}

  set(login: string, { password, sub, claims = {}, locked = false, mfaRequired = false }: UserInput): TestUser {
    const previous = this.get(login);
    const user: TestUser = {
      login,
      password,
      sub: sub ?? previous?.sub ?? `00u${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
      claims: { ...claims },
      locked,
      mfaRequired,
    };
    if (previous) this.subs.delete(previous.sub);
    this.users.set(login.toLowerCase(), user);
    this.subs.set(user.sub, user);
    this.noteClaimNames(user);
    return user;
  }

  update(login: string, patch: UserPatch): TestUser {
    const user = this.get(login);
    if (!user) throw new Error(`no test user ${login}`);
    const { claims, ...rest } = patch;
    Object.assign(user, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    for (const [key, value] of Object.entries(claims ?? {})) {
      if (value === undefined) delete user.claims[key];
      else user.claims[key] = value;
    }
    this.noteClaimNames(user);
    return user;
  }

  get(login: string): TestUser | undefined {
    return this.users.get(login.toLowerCase());
  }

  bySub(sub: string): TestUser | undefined {
    return this.subs.get(sub);
  }

  check(login: string | undefined, password: string | undefined): CredentialCheck {
    const user = login ? this.get(login) : undefined;
    if (!user || password === undefined || user.password !== password) return { ok: false, reason: 'invalid' };
    if (user.locked) return { ok: false, reason: 'locked', user };
    return { ok: true, user };
  }

  /** Names released with scope `iqmetrix`: the guide's list plus any non-standard key a user has. */
  customClaimNames(): string[] {
    return [...this.customNames];
  }

  private noteClaimNames(user: TestUser): void {
    const added = Object.keys(user.claims).filter((key) => !STANDARD.has(key) && !this.customNames.has(key));
    added.forEach((key) => this.customNames.add(key));
    if (added.length) this.onNewClaimNames();
  }

  /** oidc-provider's `findAccount`: claims are read at use time, so changes show on the next call. */
  findAccount = async (_ctx: unknown, sub: string): Promise<Account | undefined> => {
    if (!this.bySub(sub)) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ ...(this.bySub(sub)?.claims ?? {}), sub }),
    };
  };
}
