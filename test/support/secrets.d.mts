export declare const TEST_ADMIN_KEY: string;
export declare const TEST_SECRETS_KEYS: string;
export declare const TEST_SECRETS_KEY_2: string;
export declare const OKTA_CLIENT_SECRET: string;
