import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { type Config, loadConfig } from '../../src/config';
import * as stack from '../../src/dev/stack';
import { dataConverterFor, decodePayloadsDeep } from '../../src/temporal/codec';
import { entryArgs } from '../setup/prebuild';

// The in-process stack of src/dev/stack.ts, on the dev server and workflow bundle that jest's globalSetup started.
export { closeServer, listenOnFreePort, systemsEnv, uniqueId, type Stack } from '../../src/dev/stack';

export const TEST_ADDRESS = () => {
  const address = process.env.SWITCHYARD_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('no shared dev server: run the tests through jest (globalSetup starts it)');
  return address;
};

const testEnv = (env: Record<string, string> = {}) => ({
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  TEMPORAL_UI_URL: process.env.SWITCHYARD_TEST_TEMPORAL_UI_URL ?? 'http://localhost:8233',
  ...env,
});

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process has exited, with its exit code (null when a signal ended it) and the time. */
  exit: Promise<{ code: number | null; at: number }>;
}

/**
 * The worker role as deployed (src/worker/main.ts in a process of its own) on the stack's dev server, queues, systems
 * and payload keys, starting from the workflow bundle globalSetup built (bundling would cost each one seconds of
 * CPU). `env` adds to or overrides that; the worker's stderr is shown, prefixed with its pid.
 */
export function spawnWorker(config: Config, env: Record<string, string> = {}): WorkerProcess {
  const bundle = process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE;
  const child = spawn(process.execPath, entryArgs('src/worker/main.ts'), {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: TEST_ADDRESS(),
      TASK_QUEUE_PREFIX: config.temporal.taskQueuePrefix,
      ...stack.systemsEnv(config),
      ...(bundle ? { WORKFLOW_BUNDLE_PATH: bundle } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker ${child.pid}] ${chunk.toString()}`));
  const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  return { child, exit };
}

/**
 * The API role's environment as a production deployment has it, for the built entry point in a process
 * of its own: fresh secrets (`shopSecret` for the shop source), the shared dev server, both listeners on free loopback
 * ports, and /api/v1 off (in production it needs API_CLIENTS, tested in test/config and test/api/v1).
 */
export function productionApiEnv(shopSecret: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    TEMPORAL_ADDRESS: TEST_ADDRESS(),
    TASK_QUEUE_PREFIX: `${stack.uniqueId()}-`,
    SHOP_WEBHOOK_SECRET: shopSecret,
    SHOPIFY_WEBHOOK_SECRET: `shpss_${randomBytes(16).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
    PAYLOAD_KEYS: `test:${randomBytes(32).toString('base64')}`,
    API_ENABLED: 'false',
  };
}

/** Config as a test deployment would have it: sandbox URLs, a unique task-queue prefix, explicit env overrides. */
export function testConfig(sandboxUrl: string, env: Record<string, string> = {}): Config {
  return stack.testConfig(sandboxUrl, testEnv(env));
}

/**
 * The whole service on the shared dev server, isolated from other tests by a unique task-queue prefix; on the shared
 * workflow bundle unless the test brings its own.
 */
export function startStack(
  options: { env?: Record<string, string>; workers?: boolean; workflowBundlePath?: string } = {},
): Promise<stack.Stack> {
  return stack.startStack({
    ...options,
    env: testEnv(options.env),
    address: TEST_ADDRESS(),
    workflowBundlePath: options.workflowBundlePath ?? process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE,
  });
}

/**
 * The data converter of a test deployment (the development key, as testConfig derives it): every client and worker a
 * test builds by hand takes it, as the service's own do.
 */
export function testDataConverter(): DataConverter {
  return dataConverterFor(loadConfig({ NODE_ENV: 'test' }));
}

/** A raw failure's message (from a description or a history), decrypted: it travels in encodedAttributes. */
export async function failureMessage(
  client: Client,
  failure: temporal.api.failure.v1.IFailure | null | undefined,
): Promise<string | undefined> {
  if (!failure?.encodedAttributes) return failure?.message ?? undefined;
  const { loadedDataConverter } = client.options;
  const [attributes] = await decodePayloadsDeep([failure.encodedAttributes], loadedDataConverter.payloadCodecs);
  return (loadedDataConverter.payloadConverter.fromPayload(attributes!) as { message?: string }).message;
}
