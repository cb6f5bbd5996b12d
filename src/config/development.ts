import { createHash } from 'node:crypto';

// The public development values: what `npm start` runs with when a secret is unset, derived from the variable's name
// so every checkout has the same ones and production can recognise and refuse them.

// The id of the development key, so a payload written with it says so in its metadata.
export const DEVELOPMENT_KEY_ID = 'dev';

export function developmentDigest(name: string): Buffer {
  return createHash('sha256').update(`switchyard-development-only:${name}`).digest();
}

export function developmentToken(name: string): string {
  return `dev_${developmentDigest(name).toString('hex').slice(0, 32)}`;
}

/** The key of the development API client `dev` (public, like every development secret): `npm start` prints it. */
export function developmentApiKey(): string {
  return developmentToken('API_CLIENTS');
}
