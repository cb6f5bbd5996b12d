// What each admin route does, named for the audit log, with the path parameters that say what it aims at.
const ROUTES: Array<{ method: string; path: RegExp; action: (m: RegExpExecArray) => string; target?: string[] }> = [
  { method: 'GET', path: /^\/find\/([^/]+)\/?$/i, action: () => 'find', target: ['key'] },
  { method: 'GET', path: /^\/list\/?$/i, action: () => 'list' },
  { method: 'GET', path: /^\/stuck\/?$/i, action: () => 'stuck' },
  {
    method: 'POST',
    path: /^\/workflows\/([^/]+)\/(terminate|cancel|reset)\/?$/i,
    action: (m) => m[2]!.toLowerCase(),
    target: ['workflowId'],
  },
  { method: 'POST', path: /^\/redrive\/?$/i, action: () => 'redrive' },
  { method: 'GET', path: /^\/sync-dlq\/?$/i, action: () => 'sync-dlq list' },
  { method: 'POST', path: /^\/sync-dlq\/retry\/?$/i, action: () => 'sync-dlq retry' },
  {
    method: 'POST',
    path: /^\/sync-dlq\/([^/]+)\/(retry|drop)\/?$/i,
    action: (m) => `sync-dlq ${m[2]!.toLowerCase()}`,
    target: ['id'],
  },
  { method: 'GET', path: /^\/catalog\/?$/i, action: () => 'catalog' },
  { method: 'GET', path: /^\/credentials\/?$/i, action: () => 'credentials' },
];

/** The action and the path parameters (decoded when they can be) of a call, known before its handler runs. */
export function routeOf(method: string, path: string): { action: string; target: Record<string, unknown> } {
  for (const r of ROUTES) {
    const m = r.method === method ? r.path.exec(path) : null;
    if (!m) continue;
    const target: Record<string, unknown> = {};
    r.target?.forEach((name, i) => {
      const raw = m[i + 1]!;
      try {
        target[name] = decodeURIComponent(raw);
      } catch {
        target[name] = raw;
      }
    });
    return { action: r.action(m), target };
  }
  return { action: 'unknown', target: {} };
}
