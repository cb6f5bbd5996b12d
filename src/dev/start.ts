import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { provisionTemporal } from './provision-temporal.js';
import { listenApi } from '../api/listeners';
import { createApiMetrics } from '../api/metrics';
import { createWorkflowStarter } from '../api/workflow-starter';
import { createLifecycle, drainAndClose } from '../api/shutdown';
import { developmentApiKey, loadConfig } from '../config';
import { warnAboutConfig } from '../config/warnings';
import { createLogger } from '../logger';
import { createSandbox, sandboxKeys } from '../sandbox/server';
import { createSources } from '../api/sources';
import { dataConverterFor } from '../temporal/codec';
import { authoriseStandInConnections } from './authorise-stand-ins';
import { connectionOptions, createLazyClient, resolveTemporalTarget } from '../temporal/connection';
import { createWorkers, installRuntime, runWorkers } from '../worker/workers';
import { applySchedulesAtStart } from '../schedules/apply';
import { Client } from '@temporalio/client';
import { type DevServer, startDevServer } from './temporal-dev-server';
import { tracingFromConfig } from '../tracing/install';
import { resolveMailpit } from './provision-tools.js';
import { type Mailpit, startMailpit } from './mailpit';

// `npm start`: the whole stack in one process tree. Without TEMPORAL_ADDRESS it runs the Temporal dev server
// (SQLite under .data/, Web UI on :8233), then the sandbox, the workers and the HTTP ingress.

// The dev server's UI cannot send a bearer token, so with the public development key and token the token is the path
// segment the codec server accepts for exactly that case (src/api/codec-server.ts). With CODEC_TOKEN set, the UI is
// not wired: point it at the codec server yourself (docs/keys.md, "the codec server").
function devCodecEndpoint(config: ReturnType<typeof loadConfig>): string | undefined {
  if (!config.codec?.development) return undefined;
  return `http://127.0.0.1:${config.operator.port}/codec/${config.codec.token}`;
}

/** The From of the development invoice emails. */
const DEV_FROM = 'Sandbox Shop <billing@shop.example>';

/**
 * A local mail server with a web inbox, and the variables that send the invoice email to it over SMTP, unless the
 * environment chooses the email platform's connector itself (EMAIL_PLATFORM_CONNECTOR=api keeps it on the sandbox).
 */
async function devInbox(env: NodeJS.ProcessEnv): Promise<{ mailpit: Mailpit; env: NodeJS.ProcessEnv } | undefined> {
  if (env.EMAIL_PLATFORM_CONNECTOR?.trim()) return undefined;
  const mailpit = await startMailpit({ binPath: await resolveMailpit({ quiet: false }) });
  return {
    mailpit,
    env: {
      EMAIL_PLATFORM_CONNECTOR: 'smtp',
      EMAIL_PLATFORM_SMTP_URL: `smtp://${mailpit.smtp.host}:${mailpit.smtp.port}`,
      EMAIL_PLATFORM_SMTP_FROM: DEV_FROM,
      EMAIL_PLATFORM_SMTP_UNSUBSCRIBE_URL: 'mailto:unsubscribe@shop.example',
      EMAIL_PLATFORM_SMTP_MESSAGE_LOG: 'mailpit',
      EMAIL_PLATFORM_SMTP_MESSAGE_LOG_URL: mailpit.url,
    },
  };
}

async function main(): Promise<void> {
  const inbox = await devInbox(process.env);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ ...process.env, ...inbox?.env });
  } catch (err) {
    await inbox?.mailpit.stop();
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'dev' });
  warnAboutConfig({ defaultedSecrets: [], deprecations: config.deprecations, payloads: config.payloads }, logger);
  installRuntime(logger, config.worker.metricsPort);
  const closers: Array<() => Promise<void>> = [];
  const shutdown = async () => {
    for (const close of closers.reverse()) await close().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };
  if (inbox) closers.push(() => inbox.mailpit.stop());

  let devServer: DevServer | undefined;
  let address = config.temporal.address;
  try {
    if (!address) {
      const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
      if (cli.type !== 'existing-path') {
        throw new Error('no Temporal CLI binary is available; run `node scripts/provision-temporal` to see why');
      }
      const dataDir = path.dirname(path.resolve(config.temporal.dev.dbFile));
      devServer = await startDevServer({
        cliPath: cli.path,
        port: config.temporal.dev.port,
        uiPort: config.temporal.dev.uiPort,
        dbFile: path.resolve(config.temporal.dev.dbFile),
        dbSync: config.temporal.dev.dbSync,
        namespace: config.temporal.namespace,
        logFile: path.join(dataDir, 'temporal-server.log'),
        codecEndpoint: devCodecEndpoint(config),
      });
      address = devServer.address;
      const server = devServer;
      closers.push(() => server.stop());
    }

    const sandbox = createSandbox(sandboxKeys(config));
    const { server: sandboxServer, url: sandboxUrl } = await sandbox.listen(config.sandbox.port, '127.0.0.1');
    closers.push(() => new Promise((r) => sandboxServer.close(() => r())));
    // Traced by default here, into the sandbox's trace view, unless a collector is configured.
    const tracesTo = config.tracing.endpoint ?? sandboxUrl;
    const tracing = tracingFromConfig({ ...config.tracing, endpoint: tracesTo }, 'dev')!;
    closers.push(() => tracing.shutdown());

    const target = resolveTemporalTarget(config, process.env, address);
    const connection = await NativeConnection.connect(connectionOptions(target));
    closers.push(() => connection.close());
    const workers = await createWorkers({ connection, namespace: target.namespace, config, logger });
    const dataConverter = dataConverterFor(config);
    await applySchedulesAtStart(new Client({ connection, namespace: target.namespace, dataConverter }), config, logger);

    const client = createLazyClient(target, dataConverter);
    const lifecycle = createLifecycle();
    const api = await listenApi({
      config,
      logger,
      starter: createWorkflowStarter(client, config.temporal.startTimeoutMs),
      metrics: createApiMetrics({ defaultMetrics: true }),
      sources: createSources(config),
      client,
      lifecycle,
    });
    // Drains as src/api/main.ts does (readiness off, in-flight requests answered), after the workers have stopped.
    closers.push(async () => {
      lifecycle.begin();
      await drainAndClose({
        servers: [api.ingress.server, api.operator.server],
        close: () => client.connection.close(),
        logger,
        ...config.shutdown,
      });
    });

    const banner = [
      '',
      'Switchyard is running',
      `  webhooks   http://localhost:${config.http.port}/webhooks/<source>   (health: /healthz, /readyz)`,
      `  operator   ${api.operator.url}   (/metrics; /admin${config.admin ? '' : ' off: set ADMIN_TOKEN'})`,
      `  temporal   ${target.address} namespace ${target.namespace}${devServer ? ' (embedded dev server, data in .data/)' : ''}`,
      `  web UI     ${devServer?.uiUrl ?? config.temporal.uiUrl}`,
      config.payloads.encryption
        ? `  payloads   encrypted with key${config.payloads.keys.length > 1 ? 's' : ''} ${config.payloads.keys
            .map((k) => `"${k.id}"`)
            .join(
              ', ',
            )}${config.defaultedSecrets.includes('PAYLOAD_KEYS') ? ' (the DEVELOPMENT key: public, never for real data)' : ''}`
        : '  payloads   NOT ENCRYPTED (PAYLOAD_ENCRYPTION=off)',
      config.codec
        ? `  codec      ${api.operator.url}/codec   (the Web UI decrypts through it${devServer && devCodecEndpoint(config) ? '' : '; set its codec endpoint'})`
        : '',
      `  sandbox    ${sandboxUrl}   (${Object.keys(sandbox.systems).join(', ')}; faults via /__admin)`,
      inbox
        ? `  inbox      ${inbox.mailpit.url}   (Mailpit: the invoice emails, sent over SMTP, with their PDF)`
        : `  email      ${config.systems['email-platform'].connector.name === 'smtp' ? 'over SMTP, to EMAIL_PLATFORM_SMTP_URL' : "the sandbox's email platform (EMAIL_PLATFORM_CONNECTOR=api)"}`,
      `  traces     ${tracesTo === sandboxUrl ? `${sandboxUrl}/traces   (the span tree of each webhook)` : `to ${tracesTo}`}`,
      config.api
        ? `  api        http://localhost:${config.http.port}/api/v1   (OpenAPI: /api/v1/openapi.json${
            config.defaultedSecrets.includes('API_CLIENTS') ? `; client dev, key ${developmentApiKey()}` : ''
          })`
        : '',
      config.worker.metricsPort ? `  worker metrics http://localhost:${config.worker.metricsPort}/metrics` : '',
      config.defaultedSecrets.length
        ? `  DEVELOPMENT SECRETS in use for ${config.defaultedSecrets.join(', ')}: never run like this in production`
        : '',
      '  try it:    npm run send-sample',
      '',
    ].filter((l) => l !== '');
    process.stdout.write(`${banner.join('\n')}\n\n`);

    // The connections whose provider is the sandbox's stand-in authorise themselves, once the workers run (below).
    const authorising = authoriseStandInConnections({
      config,
      operatorUrl: api.operator.url,
      sandboxUrl,
      logger,
    }).then(
      (results) => {
        for (const { system, outcome } of results) {
          if (outcome === 'not a stand-in') continue;
          process.stdout.write(
            `  connection ${system}: ${outcome} with the sandbox's stand-in (authorise again: ${api.operator.url}/connections/${system}/authorize)\n`,
          );
        }
      },
      (err: unknown) =>
        logger.error({ err }, "could not authorise a connection with the sandbox's stand-in: open its authorise link"),
    );

    const onSignal = (signal: NodeJS.Signals) => {
      lifecycle.begin();
      logger.info({ signal }, 'shutting down');
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // The Temporal Runtime shuts the workers down on SIGINT/SIGTERM; then everything else closes in reverse order.
    await runWorkers(workers);
    await authorising;
  } finally {
    await shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(
      `switchyard failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
