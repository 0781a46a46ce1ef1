// Authentication and tenancy primitives: password hashing, access tokens, API keys, roles,
// slugs and log redaction. Pure WebCrypto + jose, so it runs in workerd and Node alike.
export * from './jwt';
export * from './password';
export * from './redact';
export * from './roles';
export * from './slug';
export * from './tokens';
