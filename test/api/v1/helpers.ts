import { randomBytes } from 'node:crypto';
import { documentedResponse } from '../../../src/api/v1/openapi';

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

/**
 * Every answer an API test receives must be one the OpenAPI document declares: its status for the route, and a body
 * the same zod schema the document is generated from accepts.
 */
export function checkDocumented(method: string, path: string, answer: Answer): void {
  const documented = documentedResponse(method, path, answer.status);
  if (!documented) throw new Error(`${method} ${path} answered ${answer.status}, which the OpenAPI document lacks`);
  if (documented.schema === null) {
    if (answer.body !== undefined) throw new Error(`${method} ${path} ${answer.status} has a body; none is documented`);
    return;
  }
  const parsed = documented.schema.safeParse(answer.body);
  if (!parsed.success) {
    throw new Error(`${method} ${path} ${answer.status} differs from its OpenAPI schema: ${parsed.error.message}`);
  }
}

/** Calls /api/v1 with a bearer key (a string body is sent as it is), checking the answer against the OpenAPI document. */
export async function call(
  base: string,
  path: string,
  options: { key?: string; method?: string; body?: unknown; idempotencyKey?: string; headers?: Record<string, string> },
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const res = await fetch(`${base}${path}`, {
    method,
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
  const answer = { status: res.status, headers: res.headers, body };
  checkDocumented(method, path, answer);
  return answer;
}
