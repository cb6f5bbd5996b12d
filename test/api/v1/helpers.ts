import { randomBytes } from 'node:crypto';

/** API clients for a test stack: raw keys the test sends, and API_CLIENTS as the stack reads it. */
export function apiClients(
  entries: Array<{ name: string; scopes: string[]; system?: string; ratePerSecond?: number }>,
): { env: string; keys: Record<string, string> } {
  const keys = Object.fromEntries(entries.map((e) => [e.name, `key_${e.name}_${randomBytes(16).toString('hex')}`]));
  return { env: JSON.stringify(entries.map((e) => ({ ...e, key: keys[e.name] }))), keys };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** Calls /api/v1 with a bearer key; JSON bodies are sent as JSON unless `raw` says otherwise. */
export async function call(
  base: string,
  path: string,
  options: { key?: string; method?: string; body?: unknown; idempotencyKey?: string; headers?: Record<string, string> },
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, headers: res.headers, body };
}
