// Just enough of PromQL to find what an expression reads: the metric names it selects and the label names it
// matches on or groups by. String literals, ranges and Grafana's $__ variables are dropped first.

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** The metric names `expr` selects (functions, keywords, label names and durations left out). */
export function metricNames(expr: string): string[] {
  const bare = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** Label names `expr` matches on (`{label="…"}`) or groups by (`by (…)`, `without (…)`, `on (…)`, `ignoring (…)`). */
export function labelNames(expr: string): string[] {
  const plain = withoutStrings(expr);
  const labels = new Set<string>();
  for (const [, inside] of plain.matchAll(/\{([^}]*)\}/g)) {
    for (const [, label] of inside!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(label!);
  }
  for (const [, inside] of plain.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const label of inside!.split(',').map((l) => l.trim())) if (label) labels.add(label);
  }
  return [...labels];
}

export interface Scrape {
  /** Metric name → the label names seen on its samples (empty when declared with no sample yet). */
  metrics: Map<string, Set<string>>;
}

/**
 * Reads Prometheus text exposition. A name counts as present when it has a sample, or when `# TYPE` declares it
 * (prom-client declares labelled metrics before their first sample); a declared histogram brings its `_bucket`,
 * `_sum` and `_count` series.
 */
export function parseScrape(text: string): Scrape {
  const metrics = new Map<string, Set<string>>();
  const declare = (name: string) => metrics.get(name) ?? metrics.set(name, new Set()).get(name)!;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      declare(type[1]!);
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) declare(`${type[1]}${s}`);
      continue;
    }
    if (line.startsWith('#') || !line.trim()) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const labels = declare(sample[1]!);
    for (const [, label] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(label!);
  }
  return { metrics };
}
