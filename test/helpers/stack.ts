import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { type Config, loadConfig } from '../../src/config';
import * as stack from '../../src/dev/stack';
import { dataConverterFor, decodePayloadsDeep } from '../../src/temporal/codec';

// The in-process stack of src/dev/stack.ts, on the dev server and workflow bundle that jest's globalSetup started.
export { closeServer, listenOnFreePort, systemsEnv, uniqueId, type Stack } from '../../src/dev/stack';

/**
 * What a worker process started by a test (src/worker/main.ts) needs beyond its base env: the stack's systems and
 * payload keys, and the workflow bundle globalSetup built, so it starts without bundling (seconds of CPU each).
 */
export function workerEnv(config: Config): Record<string, string> {
  const bundle = process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE;
  return { ...stack.systemsEnv(config), ...(bundle ? { WORKFLOW_BUNDLE_PATH: bundle } : {}) };
}

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
