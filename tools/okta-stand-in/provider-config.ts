import type { KoaContextWithOIDC, Provider as ProviderType } from 'oidc-provider';
import { STANDARD_CLAIMS, type AccountStore } from './accounts.js';
import type { MemoryStore } from './adapter.js';
import { logAndFaults, type Faults, type RequestRecord } from './faults.js';
import type { SigningKeys } from './keys.js';
import { loginPages, logoutSource, postLogoutSuccessSource, renderError } from './login.js';
import { holdClientsToTheirAuthMethod, offlineAccessLikeOkta, unauthorizedClient } from './okta-quirks.js';
import { registerPasswordGrant } from './password-grant.js';
import { OKTA_ROUTES } from './routes.js';

export const SCOPES = ['openid', 'email', 'profile', 'phone', 'iqmetrix', 'offline_access'];

const DAY = 86_400;

// oidc-provider 9 warns (console.warn) on import that only Node 22+ is supported; it runs fine
// on Node 20, so that one line is dropped while the module loads.
let loading: Promise<typeof import('oidc-provider')> | undefined;
function loadOidcProvider() {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).includes('Unsupported runtime')) warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}

export interface ProviderParts {
  issuer: string;
  /** Suffix for cookie names, so auth servers on one origin do not overwrite each other's. */
  id: string;
  store: MemoryStore;
  keys: SigningKeys;
  accounts: AccountStore;
  cookieKeys: string[];
  log: RequestRecord[];
  faults: Faults;
  signal: AbortSignal;
}

/** A client may introspect and revoke only the tokens issued to it. */
async function ownTokensOnly(_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) {
  return token.clientId === client.clientId;
}

/** Auto-consent: the session's grant for this client, extended with every requested scope. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx as KoaContextWithOIDC & { oidc: { account: { accountId: string } } };
  const { Grant } = oidc.provider;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
  const existing = grantId ? await Grant.find(grantId) : undefined;
  const grant = existing?.accountId === oidc.account.accountId
    ? existing
    : new Grant({ accountId: oidc.account.accountId, clientId: oidc.client.clientId });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  await grant.save();
  return grant;
}

/**
 * One oidc-provider instance shaped like an Okta custom authorization server. Everything with
 * state lives outside it (store, keys, accounts, log, faults), so it can be rebuilt at will.
 */
export async function buildProvider(parts: ProviderParts): Promise<ProviderType> {
  const { default: Provider, errors } = await loadOidcProvider();
  const issuerPath = new URL(parts.issuer).pathname;
  const provider = new Provider(parts.issuer, {
    adapter: parts.store.adapterFor(),
    jwks: parts.keys.privateJwks,
    findAccount: parts.accounts.findAccount,
    scopes: SCOPES,
    claims: { ...STANDARD_CLAIMS, iqmetrix: parts.accounts.customClaimNames() },
    routes: OKTA_ROUTES,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      require_auth_time: true,
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    pkce: { required: () => true }, // oidc-provider 9 supports S256 only
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: ownTokensOnly },
      revocation: { enabled: true, allowedPolicy: ownTokensOnly },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      resourceIndicators: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
    loadExistingGrant,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${issuerPath}/login/${interaction.uid}` },
    cookies: {
      keys: parts.cookieKeys,
      names: { session: `sid_${parts.id}`, interaction: `_interaction_${parts.id}`, resume: `_resume_${parts.id}` },
    },
    ttl: {
      AccessToken: 3600, AuthorizationCode: 300, ClientCredentials: 3600, IdToken: 3600,
      RefreshToken: 14 * DAY, Interaction: 3600, Session: 2 * 3600, Grant: 14 * DAY,
    },
    clientBasedCORS: () => false,
    renderError,
  });
  holdClientsToTheirAuthMethod(provider, Provider);
  provider.use(logAndFaults(parts.log, parts.faults, parts.signal));
  provider.use(unauthorizedClient);
  provider.use(offlineAccessLikeOkta(issuerPath));
  provider.use(loginPages(provider, parts.accounts, issuerPath));
  registerPasswordGrant(provider, parts.accounts, errors, new Set(SCOPES));
  return provider;
}
