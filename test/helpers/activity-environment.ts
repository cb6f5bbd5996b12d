import { MockActivityEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';

type Args = ConstructorParameters<typeof MockActivityEnvironment>;

/**
 * An activity environment that logs through the Runtime's logger, which test/setup/quiet-runtime.ts holds until a test
 * fails (the SDK's default would print every line to the console). A logger in `options` wins.
 */
export function activityEnvironment(info?: Args[0], options?: Args[1]): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: Runtime.instance().logger, ...options });
}
