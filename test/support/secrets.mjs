/** The secrets every test run uses (plain JS: test/run-tests.mjs scans the run's logs for them afterwards). */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const TEST_SECRETS_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;
/** A second keyring entry, for the key rotation test (test/e2e/secrets-rotation.test.ts). */
export const TEST_SECRETS_KEY_2 = `test2:${Buffer.alloc(32, 9).toString('base64')}`;
/** A client secret with the characters RFC 6749 §2.3.1 form-encoding exists for. */
export const OKTA_CLIENT_SECRET = 'se+cr%et:with spaces&more=0123456789';
