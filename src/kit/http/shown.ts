import { redactEmails } from '../../redaction';
import type { RequestOptions } from './types';

// What errors, spans and logs may say about where a call went: the path as written, never a value that is personal
// data, never a part of a URL that is itself a credential.

/** fetch quotes a refused header value in its message, and that value may be the Authorization header: never keep it. */
export function withoutQuotedValues(message: string): string {
  return message.replace(/"[^]*"/g, '"…"');
}

/**
 * Replaces every part of a secret URL (itself, its path, its query, each segment and value of 4+ characters, raw
 * or decoded) in text a server sent back, such as an error page quoting the request.
 */
export function urlRedactor(url: URL): (text: string) => string {
  const parts = new Set<string>([url.href, url.pathname, url.search]);
  for (const segment of url.pathname.split('/')) parts.add(segment);
  for (const [key, value] of url.searchParams) parts.add(`${key}=${value}`).add(value);
  for (const part of [...parts]) {
    try {
      parts.add(decodeURIComponent(part));
    } catch {
      // Not valid percent-encoding: the raw form is already in the set.
    }
    parts.add(encodeURIComponent(part));
  }
  const secrets = [...parts].filter((p) => p.length >= 4 && p !== '/').sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((t, secret) => t.split(secret).join('[redacted]'), text);
}

/** The path with each `{name}` segment replaced by its percent-encoded value from `params`. */
export function filled(system: string, path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_segment, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${system}: ${path} needs the path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** Where a call goes, as spans may say it: the path as written, the query's values redacted, no email anywhere. */
export function shownCall(
  baseUrl: string,
  path: string,
  query: RequestOptions['query'],
): { route: string; full: string } {
  const [written = '', search] = path.split('?');
  const route = shownPathOf(baseUrl, written);
  const params = new URLSearchParams(search);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const shown = new URLSearchParams([...params].map(([k, v]): [string, string] => [redactEmails(k), redactEmails(v)]));
  const q = shown.size ? `?${shown}` : '';
  return { route, full: redactEmails(`${new URL(baseUrl).origin}${route}${q}`) };
}

/** The URL's path as errors and spans show it: the base URL's own path, then the path as written. */
export function shownPathOf(baseUrl: string, written: string): string {
  return redactEmails(new URL(baseUrl).pathname.replace(/\/$/, '') + written);
}
