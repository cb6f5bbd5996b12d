import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CONTACT_SYSTEMS } from '../domain/ownership';

// API_CLIENTS: the internal systems allowed to call /api/v1, as a JSON array. Each client has a name (it scopes its
// idempotency keys and is its executions' Source, api:<name>), a key or the SHA-256 of one, its scopes, the contact
// system it speaks for (which fields its contact writes may set) and its own rate limit.

export const API_SCOPES = ['orders:write', 'contacts:write', 'contacts:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const SHA256 = /^sha256:([0-9a-f]{64})$/i;

const clientSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63, first not a dash'),
    key: z.string().refine((k) => SHA256.test(k) || (k.length >= 24 && /^[\x21-\x7e]+$/.test(k)), {
      message: 'a key of 24+ visible ASCII characters, or sha256:<64 hex digits> of one',
    }),
    scopes: z.array(z.enum(API_SCOPES)).min(1),
    /** The contact system the caller speaks for: its contact writes may set only the fields that system owns. */
    system: z.enum(CONTACT_SYSTEMS).optional(),
    /** Requests per second this client may make to one API replica (a burst of as many is allowed). */
    ratePerSecond: z.number().positive().max(10_000).default(10),
  })
  .strict();

const clientsSchema = z.array(clientSchema).min(1);

/** One configured API client, its key reduced to the SHA-256 the requests are compared with. */
export interface ApiClient {
  name: string;
  keySha256: Buffer;
  scopes: ApiScope[];
  system?: (typeof CONTACT_SYSTEMS)[number];
  ratePerSecond: number;
}

/** SHA-256 of a presented key: what is stored and compared, so a raw key and a hashed one are checked alike. */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Problems with an API_CLIENTS value, each naming the entry and field, never echoing a key. */
export function apiClientsProblems(value: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return ['is not JSON: expected [{"name":"erp","key":"sha256:…","scopes":["orders:write"]}]'];
  }
  const parsed = clientsSchema.safeParse(json);
  const at = (path: PropertyKey[]) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${at(i.path)}: ${i.message}`.trim());
  if (parsed.success) {
    const names = parsed.data.map((c) => c.name);
    for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`${dup} is listed twice`);
  }
  return problems.map((p) => p.replace(/^: /, ''));
}

/** Parses a value apiClientsProblems accepted. */
export function parseApiClients(value: string): ApiClient[] {
  return clientsSchema.parse(JSON.parse(value)).map((c) => {
    const hashed = SHA256.exec(c.key);
    return {
      name: c.name,
      keySha256: hashed ? Buffer.from(hashed[1]!, 'hex') : keyDigest(c.key),
      scopes: c.scopes,
      ...(c.system ? { system: c.system } : {}),
      ratePerSecond: c.ratePerSecond,
    };
  });
}

/** The development client: every scope, speaking for the CRM, its key derived like the other development secrets. */
export function developmentApiClients(key: string): string {
  return JSON.stringify([{ name: 'dev', key, scopes: [...API_SCOPES], system: 'crm', ratePerSecond: 50 }]);
}
