import type { Request } from 'express';

// What the CRM and the email platform stand-ins share: records with per-field change times and who made the change
// (as real CRMs keep property history), a clock that never repeats a timestamp, and keyset pagination on
// (updated_at, id), so records that change while a caller pages through move behind its cursor instead of shifting
// every later page.

export interface FieldChange {
  at: string;
  /** "integration" for changes made through the API with the integration's key, "user" for people (seed, admin). */
  by: 'integration' | 'user';
}

export interface ChangeTracked {
  id: string;
  updated_at: string;
  field_changes: Record<string, FieldChange>;
}

/** A per-system clock whose ISO timestamps strictly increase, so an exclusive `updated_since` never skips a tie. */
export function monotonicClock(): () => string {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return new Date(last).toISOString();
  };
}

/** Writes the fields that differ, records who changed them, and bumps updated_at. Returns whether anything changed. */
export function applyFields<T extends ChangeTracked>(
  record: T,
  fields: Record<string, unknown>,
  by: FieldChange['by'],
  now: () => string,
): boolean {
  const target = record as unknown as Record<string, unknown>;
  const changed = Object.entries(fields).filter(
    ([k, v]) => v !== undefined && JSON.stringify(target[k] ?? null) !== JSON.stringify(v ?? null),
  );
  if (!changed.length) return false;
  const at = now();
  for (const [k, v] of changed) {
    target[k] = v;
    record.field_changes[k] = { at, by };
  }
  record.updated_at = at;
  return true;
}

/** The ids of a `?<param>=a,b%2Cc` filter (each id percent-encoded on its own), or undefined without one. */
export function idsFilter(req: Request, param: string): Set<string> | undefined {
  const raw = req.query[param];
  if (typeof raw !== 'string') return undefined;
  return new Set(raw.split(',').map((id) => decodeURIComponent(id)));
}

function decodeCursor(cursor: unknown): { u: string; i: string } | undefined {
  if (typeof cursor !== 'string' || !cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { u?: unknown; i?: unknown };
    return typeof parsed.u === 'string' && typeof parsed.i === 'string' ? { u: parsed.u, i: parsed.i } : undefined;
  } catch {
    return undefined;
  }
}

/** `?updated_since=` (exclusive) and `?cursor=` over records ordered by (updated_at, id), at most 100 a page. */
export function pageOfChanges<T extends ChangeTracked>(records: Iterable<T>, req: Request, filter?: (r: T) => boolean) {
  const since = typeof req.query.updated_since === 'string' ? req.query.updated_since : '';
  const after = decodeCursor(req.query.cursor);
  const size = Math.min(Math.max(Number(req.query.limit) || 100, 1), 100);
  const matching: T[] = [];
  for (const r of records) {
    if (since && !(r.updated_at > since)) continue;
    if (after && (r.updated_at < after.u || (r.updated_at === after.u && r.id <= after.i))) continue;
    if (filter && !filter(r)) continue;
    matching.push(r);
  }
  matching.sort((a, b) =>
    a.updated_at === b.updated_at ? (a.id < b.id ? -1 : 1) : a.updated_at < b.updated_at ? -1 : 1,
  );
  const data = matching.slice(0, size);
  const last = data[data.length - 1];
  const next =
    matching.length > size && last
      ? Buffer.from(JSON.stringify({ u: last.updated_at, i: last.id })).toString('base64url')
      : null;
  return { data, next_cursor: next };
}
