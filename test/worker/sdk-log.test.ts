import { sdkLogLevel } from '../../src/worker/sdk-log';

describe("the SDK's log lines", () => {
  test('routine start-up chatter of a worker per task queue is debug', () => {
    expect(sdkLogLevel('WARN', 'No workflows registered, not polling for workflow tasks')).toBe('debug');
    expect(sdkLogLevel('WARN', 'No activities registered, not polling for activity tasks')).toBe('debug');
    expect(sdkLogLevel('INFO', 'No Nexus services registered, not polling for Nexus tasks')).toBe('debug');
    expect(sdkLogLevel('INFO', 'Worker state changed')).toBe('debug');
  });

  test('everything else keeps its level, a failure included', () => {
    expect(sdkLogLevel('WARN', 'Activity failed')).toBe('warn');
    expect(sdkLogLevel('WARN', 'Workflow failed')).toBe('warn');
    expect(sdkLogLevel('ERROR', 'Worker failed')).toBe('error');
    expect(sdkLogLevel('INFO', 'Workflow bundle created')).toBe('info');
    // Only the whole message is routine: a line that merely starts the same way is not.
    expect(sdkLogLevel('WARN', 'No workflows registered, not polling for workflow tasks: queue misconfigured')).toBe(
      'warn',
    );
  });
});
