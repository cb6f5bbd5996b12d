import { FLOWS, SOURCES, SYSTEMS } from '../../src/registry';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, variableDocs } from '../../src/config';
import { CONTACT_FIELDS } from '../../src/domain/ownership';
import { buildCatalog } from '../../src/catalog/catalog';
import { catalogFiles, mermaidId, renderMermaid } from '../../src/catalog/render';
import { buildProgram } from '../../src/ops/cli';
import { scheduleDefinitions } from '../../src/schedules/definitions';
import { type ParsedDiagram, parseMermaid, type ParseResult } from '../helpers/mermaid';

const root = path.join(__dirname, '..', '..');
const catalog = buildCatalog();
const read = (file: string) =>
  fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : '';

describe('the integration catalog', () => {
  test('the committed docs/CATALOG.md and .env.example are what `npm run catalog` generates now', () => {
    const stale = catalogFiles(catalog, read)
      .filter((f) => read(f.path) !== f.content)
      .map((f) => `${f.path} differs from a fresh generation: run \`npm run catalog\` and commit the result`);
    expect(stale).toEqual([]);
  });

  test('it lists every declared source, system, workflow, schedule, ownership field, variable and ops command', () => {
    const markdown = read('docs/CATALOG.md');
    const env = read('.env.example');
    const schedules = scheduleDefinitions(loadConfig({ NODE_ENV: 'development' }));
    const commands = buildProgram().commands.map((c) => c.name());

    expect(catalog.sources.map((s) => s.name)).toEqual(SOURCES.map((s) => s.name));
    expect(catalog.systems.map((s) => s.name)).toEqual(SYSTEMS.map((s) => s.name));
    expect(catalog.workflows.map((w) => w.name)).toEqual(Object.keys(FLOWS));
    expect(catalog.schedules.items.map((s) => s.id)).toEqual(schedules.map((s) => s.id));
    expect(catalog.ownership.map((f) => f.field)).toEqual(CONTACT_FIELDS);
    expect(catalog.variables.map((v) => v.name)).toEqual(variableDocs().map((v) => v.name));
    expect(catalog.operators.commands.map((c) => c.command.split(' ')[4])).toEqual(['[global', ...commands]);

    const missing = [
      ...SOURCES.map((s) => `### Source: ${s.name}`),
      ...SOURCES.map((s) => `\`POST /webhooks/${s.name}\``),
      ...SYSTEMS.map((s) => `### ${s.name}: ${s.title}`),
      ...Object.keys(FLOWS).map((w) => `| \`${w}\` |`),
      ...schedules.map((s) => `| \`${s.id}\` |`),
      ...CONTACT_FIELDS.map((f) => `| \`contact.${f}\` |`),
      ...variableDocs().map((v) => `| \`${v.name}\` |`),
      ...commands.map((c) => `\`npm run ops -- ${c} `),
    ].filter((needle) => !markdown.includes(needle));
    expect(missing).toEqual([]);

    for (const v of variableDocs()) {
      const line = new RegExp(`^(# )?${v.name}=(.*)$`, 'm').exec(env);
      expect({ variable: v.name, listed: Boolean(line) }).toEqual({ variable: v.name, listed: true });
      const value = line![2];
      expect({ variable: v.name, value }).toEqual({ variable: v.name, value: v.secret ? '' : (v.default ?? '') });
      for (const old of v.deprecatedNames) expect(env).toContain(old);
    }
  });

  test('each source and system entry carries what an operator needs, derived from the declarations', () => {
    const shop = catalog.sources.find((s) => s.name === 'shop')!;
    expect(shop).toMatchObject({
      endpoint: 'POST /webhooks/shop',
      signature: { headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'], toleranceSeconds: 300 },
      secret: { variable: 'SHOP_WEBHOOK_SECRET', rotation: expect.stringContaining('space-separated') },
      events: [{ type: 'order.paid', canonicalEvent: 'OrderPaid', workflow: 'orderPaid' }],
      knownApiVersions: SOURCES[0].adapter({}).knownApiVersions,
      senderSetup: 'docs/webhooks.md#webhook-sources',
    });
    const accounting = catalog.systems.find((s) => s.name === 'accounting')!;
    expect(accounting).toMatchObject({
      url: { variable: 'ACCOUNTING_API_URL' },
      credentials: ['ACCOUNTING_API_KEY'],
      rateLimit: { perSecond: 20, variable: 'ACCOUNTING_RATE_LIMIT_PER_SECOND' },
      taskQueue: 'accounting',
    });
    expect(accounting.activities.find((a) => a.name === 'createInvoice')).toMatchObject({
      idempotencyKey: 'invoice:<order id>',
      profile: 'call',
      scheduleToCloseTimeout: '3 days',
      retry: { nonRetryableErrorTypes: expect.arrayContaining(['DownstreamRejected']) },
      usedBy: ['orderPaid', 'invoiceOrder'],
    });
    const answer = (a: string) => accounting.answers.find((x) => x.answer === a);
    expect(answer('any other 4xx')).toMatchObject({ failureType: 'DownstreamRejected', retried: false });
    expect(answer('408 or 5xx')).toMatchObject({ failureType: 'DownstreamUnavailable', retried: true });
    expect(answer('429, or 503 with Retry-After')).toMatchObject({ failureType: 'DownstreamThrottled', retried: true });
    expect(catalog.alerts.destination.variable).toBe('ALERTS_WEBHOOK_URL');
    expect(catalog.operators.uiQueries.map((q) => q.query)).toEqual(
      expect.arrayContaining(['IntegrationStatus = "failed"', 'BusinessKey = "<order id>"']),
    );
  });

  test('each ownership rule names tests that exist', () => {
    const references = new Set(catalog.ownership.flatMap((f) => f.tests));
    expect(references.size).toBeGreaterThan(3);
    const missing = [...references].filter((ref) => {
      const [file, ...titles] = ref.split(' › ');
      const source = read(file!);
      return !source || titles.some((t) => !source.includes(`'${t}'`));
    });
    expect(missing).toEqual([]);
  });

  test('no secret value appears in the catalog, its JSON or .env.example, only the variable names', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    const secrets = [
      ...Object.values(config.sources).flatMap((s) => s.secrets),
      ...Object.values(config.systems).flatMap((s) => (s.secretUrl ? [s.url] : s.apiKey ? [s.apiKey] : [])),
    ];
    expect(secrets.length).toBeGreaterThan(5);
    const everything = [JSON.stringify(catalog), ...catalogFiles(catalog, read).map((f) => f.content)].join('\n');
    expect(secrets.filter((s) => everything.includes(s))).toEqual([]);
  });

  test('node ids are letters, digits and underscores, and two names that would share one are refused', () => {
    expect(mermaidId('system', 'email-platform')).toBe('system_email_platform');
    expect(mermaidId('flow', 'end')).toBe('flow_end');
    const twin = (name: string) => ({ ...catalog.systems[0]!, name });
    const clash = { ...catalog, systems: [...catalog.systems, twin('email_platform')] };
    expect(() => renderMermaid(clash)).toThrow(/system:email-platform and system:email_platform both become/);
  });

  test('`npm run catalog -- --json` prints the same JSON and writes nothing', async () => {
    const before = catalogFiles(catalog, read).map((f) => fs.statSync(path.join(root, f.path)).mtimeMs);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        path.join(root, 'node_modules/.bin/tsx'),
        [path.join(root, 'scripts/catalog.ts'), '--json'],
        { cwd: root, timeout: 60_000, maxBuffer: 10 * 1024 * 1024 },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
      ),
    );
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(catalog)));
    expect(catalogFiles(catalog, read).map((f) => fs.statSync(path.join(root, f.path)).mtimeMs)).toEqual(before);
  });
});

describe('the data-flow diagram, parsed by mermaid', () => {
  const diagram = renderMermaid(catalog);
  // Broken on purpose, to show the parser refuses what GitHub could not render.
  const unclosedLabel = diagram.replace('"]', ']');
  const keywordId = diagram.replaceAll(mermaidId('flow', 'orderPaid'), 'end');
  // Started at once, so the child process parses while the tests above run.
  const parsing = parseMermaid([diagram, unclosedLabel, keywordId]);
  parsing.catch(() => undefined);
  let results: ParseResult[];

  beforeAll(async () => {
    results = await parsing;
  }, 60_000);

  test('the committed diagram is the one rendered from the catalog', () => {
    expect(read('docs/CATALOG.md')).toContain(`\`\`\`mermaid\n${diagram}\`\`\``);
  });

  test('it parses into every source, schedule, flow and system, with the arrows between them', () => {
    const parsed = results[0]!;
    expect(parsed).toMatchObject({ ok: true, type: 'flowchart-v2' });
    const { vertices, edges } = parsed as ParsedDiagram;
    for (const v of vertices) expect(v).toMatch(/^[A-Za-z0-9_]+$/);
    expect(vertices).toEqual(
      expect.arrayContaining([
        ...catalog.sources.map((s) => mermaidId('source', s.name)),
        ...catalog.schedules.items.map((s) => mermaidId('schedule', s.id)),
        ...catalog.workflows.map((w) => mermaidId('flow', w.name)),
        ...catalog.systems.map((s) => mermaidId('system', s.name)),
      ]),
    );
    const arrow = (start: string, end: string) => edges.find((e) => e.start === start && e.end === end);
    for (const s of catalog.sources) {
      for (const e of s.events) expect(arrow(mermaidId('source', s.name), mermaidId('flow', e.workflow))).toBeDefined();
    }
    for (const w of catalog.workflows) {
      for (const a of w.activities.filter((x) => catalog.systems.some((s) => s.name === x.system))) {
        expect(arrow(mermaidId('flow', w.name), mermaidId('system', a.system))?.text).toContain(a.name);
      }
    }
  });

  test('the sync arrows carry the fields they copy, each with its owner', () => {
    const { edges } = results[0] as ParsedDiagram;
    const sync = (from: string, to: string) =>
      edges.find((e) => e.start === mermaidId('system', from) && e.end === mermaidId('system', to));
    const toEmail = sync('crm', 'email-platform');
    expect(toEmail?.stroke).toBe('thick');
    for (const field of ['name', 'email', 'company']) expect(toEmail?.text).toContain(field);
    expect(toEmail?.text).toContain('owner: crm');
    const toCrm = sync('email-platform', 'crm');
    expect(toCrm?.stroke).toBe('thick');
    expect(toCrm?.text).toContain('consent');
    expect(toCrm?.text).toContain('owner: email-platform');
    for (const f of catalog.ownership) {
      for (const to of f.copiesTo) expect(sync(f.owner, to)?.text).toContain(`${f.field}`);
    }
  });

  test('the parser has teeth: an unclosed label and a keyword as a node id are refused', () => {
    expect(results[1]).toMatchObject({ ok: false, error: expect.stringMatching(/Parse error/) });
    expect(results[2]).toMatchObject({ ok: false, error: expect.stringMatching(/Parse error/) });
  });
});
