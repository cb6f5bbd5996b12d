import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import { testDataConverter } from './stack';

// Protobuf IndexedValueType values of the two kinds we register.
const INDEXED_TYPE = { KEYWORD: 2, BOOL: 5 } as const;

/** The time-skipping test server (provisioned binary), with our search attributes registered as on the dev server. */
export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER_PATH! } },
    client: { dataConverter: testDataConverter() },
  });
  await env.connection.operatorService
    .addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(
        ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, k.type === 'BOOL' ? INDEXED_TYPE.BOOL : INDEXED_TYPE.KEYWORD]),
      ),
    })
    // The test server accepts any key anyway; registering only keeps it faithful where it does check.
    .catch(() => undefined);
  return env;
}
