import type { PayloadKey } from '../temporal/codec';

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** PAYLOAD_KEYS as keys, or the problems with it (naming key positions and ids, never a key). */
export function parsePayloadKeys(value: string): { keys: PayloadKey[]; problems: string[] } {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return { keys: [], problems: ['is empty: give id:base64 pairs, comma separated'] };
  const keys: PayloadKey[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const at = `key ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) return problems.push(`${at} is not id:base64 (e.g. 2026-01:<32 random bytes as base64>)`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) return problems.push(`${at} has an id that is not 1-64 letters, digits, ".", "_" or "-"`);
    if (seen.has(id)) return problems.push(`lists key id "${id}" twice`);
    seen.add(id);
    if (!CANONICAL_BASE64.test(encoded)) return problems.push(`${at} ("${id}") is not canonical base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) {
      return problems.push(
        `${at} ("${id}") decodes to ${key.length} bytes; AES-256 needs 32 (openssl rand -base64 32)`,
      );
    }
    keys.push({ id, key });
  });
  return { keys, problems };
}
