// The public face of @unibos/credentials: secrets at rest, for whoever keeps accounts or device credentials.

export { MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH } from './password-policy.ts';
export { hashSecret, verifySecret, parseSecretHash, DEFAULT_SCRYPT_PARAMS, type ScryptParams } from './secret-hash.ts';
