import { spawn } from 'node:child_process';
import path from 'node:path';

// Parses Mermaid diagrams with mermaid itself, as GitHub renders them. mermaid is ESM-only and wants a DOM, so it runs
// in a child `node` with jsdom's window as the global one; jest's CommonJS transform could not load it in-process.

export interface ParsedDiagram {
  ok: true;
  type: string;
  vertices: string[];
  edges: Array<{ start: string; end: string; text: string; stroke: string }>;
  subgraphs: Array<{ id: string; nodes: string[] }>;
}

export type ParseResult = ParsedDiagram | { ok: false; error: string };

const SCRIPT = `
const input = await new Promise((resolve, reject) => {
  let data = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => (data += chunk));
  process.stdin.on('end', () => resolve(data));
  process.stdin.on('error', reject);
});
// mermaid logs through console: keep stdout for the result.
for (const level of ['log', 'info', 'debug', 'warn']) {
  console[level] = (...args) => process.stderr.write(args.map(String).join(' ') + '\\n');
}
const { JSDOM } = await import('jsdom');
const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, logLevel: 'fatal' });
const results = [];
for (const text of JSON.parse(input)) {
  try {
    await mermaid.parse(text);
    const { db, type } = await mermaid.mermaidAPI.getDiagramFromText(text);
    results.push({
      ok: true,
      type,
      vertices: [...db.getVertices().keys()],
      edges: db.getEdges().map((e) => ({ start: e.start, end: e.end, text: e.text, stroke: e.stroke })),
      subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, nodes: s.nodes })),
    });
  } catch (err) {
    results.push({ ok: false, error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(results));
`;

/** Parses each diagram with mermaid (in one child process): the flowchart's nodes and edges, or the parse error. */
export function parseMermaid(diagrams: string[]): Promise<ParseResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: path.join(__dirname, '..', '..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the mermaid parser exited with ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out) as ParseResult[]);
      } catch (cause) {
        reject(new Error(`the mermaid parser printed no result: ${out.slice(0, 500)} ${err.slice(-2000)}`, { cause }));
      }
    });
    child.stdin.end(JSON.stringify(diagrams));
  });
}
