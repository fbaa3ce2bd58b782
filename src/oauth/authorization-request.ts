import type { Environment } from '../database/directory-databases.js';

/** An app's authorization request after validation: carried through the upstream sign-in in the login state. */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string[];
  state?: string;
  nonce?: string;
  codeChallenge: string;
  environment: Environment;
  loginHint?: string;
  /** 'login' (re-authenticate at Okta) or 'none' (only if a session exists). */
  prompt?: string;
  /** OIDC max_age: a session older than this (since authentication) is not reused, and Okta gets it too. */
  maxAge?: number;
  /**
   * Not the app's: this service asked Okta for a fresh sign-in (prompt=login) because a hint named another user than
   * the session's, and Okta's own session would have answered for that user. `prompt` and `maxAge` stay the app's.
   */
  reauthenticate?: 'other-user';
}
