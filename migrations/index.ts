/**
 * Schema lives only here (never `synchronize`). Two sets:
 * - control: tenants, their configuration, OAuth clients, login state, tokens, audits (production database only);
 * - directory: users, locations, assignments (the production database AND each tenant's training database).
 * Class names end in a 13-digit timestamp; migrations run in that order.
 */
import { ControlSchema1764770000000 } from './control/1764770000000-control-schema.js';
import { AdminAuth1796320591793 } from './control/1796320591793-admin-auth.js';
import { OktaBackoff1796320645203 } from './control/1796320645203-okta-backoff.js';
import { ConfigLifecycle1796320932163 } from './control/1796320932163-config-lifecycle.js';
import { ProvisioningAuditQuery1796320967186 } from './control/1796320967186-provisioning-audit-query.js';
import { SecretPurpose1796322400563 } from './control/1796322400563-secret-purpose.js';
import { PasswordGrantThrottle1796326831593 } from './control/1796326831593-password-grant-throttle.js';
import { SessionHintInBrowser1796329441591 } from './control/1796329441591-session-hint-in-browser.js';
import { DomainClaims1796340000000 } from './control/1796340000000-domain-claims.js';
import { GrantChangeNotifications1796350000000 } from './control/1796350000000-grant-change-notifications.js';
import { FieldNamesFromDocument1796360000000 } from './control/1796360000000-field-names-from-document.js';
import { ClientIntrospection1796360000100 } from './control/1796360000100-client-introspection.js';
import { AuthTimeUnknown1796370000000 } from './control/1796370000000-auth-time-unknown.js';
import { AdminCredentialParents1796372418000 } from './control/1796372418000-admin-credential-parents.js';
import { DirectorySchema1764770000100 } from './directory/1764770000100-directory-schema.js';
import { Lifecycle1796320617271 } from './control/1796320617271-lifecycle.js';
import { UserLifecycle1796320617371 } from './directory/1796320617371-user-lifecycle.js';
import { Provenance1796320967286 } from './directory/1796320967286-provenance.js';
import { UsersBySubject1796331000000 } from './directory/1796331000000-users-by-subject.js';
import { UserChangeNotifications1796350000100 } from './directory/1796350000100-user-change-notifications.js';
import { TrainingOwner1796380000000 } from './directory/1796380000000-training-owner.js';

export const controlMigrations = [ControlSchema1764770000000, AdminAuth1796320591793, Lifecycle1796320617271, OktaBackoff1796320645203, ConfigLifecycle1796320932163, ProvisioningAuditQuery1796320967186, SecretPurpose1796322400563, PasswordGrantThrottle1796326831593, SessionHintInBrowser1796329441591, DomainClaims1796340000000, GrantChangeNotifications1796350000000, FieldNamesFromDocument1796360000000, ClientIntrospection1796360000100, AuthTimeUnknown1796370000000, AdminCredentialParents1796372418000];
export const directoryMigrations = [DirectorySchema1764770000100, UserLifecycle1796320617371, Provenance1796320967286, UsersBySubject1796331000000, UserChangeNotifications1796350000100, TrainingOwner1796380000000];
