import http from 'node:http';
import { Writable } from 'node:stream';
import { listenApi } from '../../src/api/listeners';
import { createApiMetrics } from '../../src/api/metrics';
import type { StartRequest, WorkflowStarter } from '../../src/api/workflow-starter';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createSources } from '../../src/api/sources';
import type { Lifecycle } from '../../src/api/shutdown';
import type { SourceDeclaration } from '../../src/kit/declare';
import { SOURCES } from '../../src/registry';
import { closeServer } from '../helpers/stack';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request as bytes on the wire: raw headers keep their order, case and repetitions. */
export interface RawRequest {
  path: string;
  headers: Array<[string, string]>;
  body: Buffer | string;
}

// As raw header lines, in order: an object would merge names that differ only in case (setHeader is case-blind).
// With an array, Node adds no Host of its own.
function asOutgoing(host: string, pairs: Array<[string, string]>): string[] {
  const lines = pairs.some(([n]) => n.toLowerCase() === 'host')
    ? pairs
    : [['Host', host] as [string, string], ...pairs];
  return lines.flat();
}

/**
 * The ingress app in this process, with a starter that only records, a logger writing into `logLines` and one
 * keep-alive agent: thousands of requests a second, for properties over hostile input.
 */
export async function startInProcessApi(
  env: Record<string, string> = {},
  options: { starter?: WorkflowStarter; sources?: readonly SourceDeclaration[]; lifecycle?: Lifecycle } = {},
) {
  const declared = options.sources ?? SOURCES;
  const config: Config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', ...env }, 'all', { sources: declared });
  const logLines: string[] = [];
  const logger = createLogger(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const starts: StartRequest[] = [];
  const starter: WorkflowStarter = {
    async start(req) {
      starts.push(req);
      if (options.starter) return options.starter.start(req);
      return { status: 'accepted', workflowId: req.workflowId, runId: 'recorded-not-started' };
    },
    ready: () => options.starter?.ready() ?? Promise.resolve(true),
  };
  const metrics = createApiMetrics({ sources: declared });
  const api = await listenApi(
    { config, logger, starter, metrics, sources: createSources(config, declared), lifecycle: options.lifecycle },
    { ingress: 0, operator: 0 },
  );
  const { server, url } = api.ingress;
  const { port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  function send(req: RawRequest): Promise<Answer> {
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    const headers = req.headers.some(([n]) => n.toLowerCase() === 'content-length')
      ? req.headers
      : [...req.headers, ['Content-Length', String(body.length)] as [string, string]];
    return new Promise((resolve, reject) => {
      const r = http.request(
        {
          host: '127.0.0.1',
          port: Number(port),
          method: 'POST',
          path: req.path,
          agent,
          headers: asOutgoing(`127.0.0.1:${port}`, headers),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  }

  return {
    config,
    url,
    /** The operator listener: /metrics (and /admin when configured). */
    operatorUrl: api.operator.url,
    logLines,
    starts,
    metrics,
    send,
    async stop() {
      agent.destroy();
      await closeServer(server);
      await closeServer(api.operator.server);
    },
  };
}

export type InProcessApi = Awaited<ReturnType<typeof startInProcessApi>>;

/** Headers of a signed request as raw pairs, in the order given. */
export function rawHeaders(headers: Record<string, string>): Array<[string, string]> {
  return Object.entries(headers);
}
