import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth: two bodies that mean the same serialise the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash a command execution keeps in its memo: the command, its path parameters and its validated body. */
export function bodyHash(command: string, request: unknown): string {
  return createHash('sha256')
    .update(`${command}\n${canonicalJson(request)}`)
    .digest('base64url');
}
