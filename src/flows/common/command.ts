import { allHandlersFinished, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import {
  COMMAND_FAILED,
  type CommandInput,
  commandFailureOf,
  commandResultUpdate,
  IDEMPOTENCY_KEY_REUSED,
} from '../../contracts/commands';
import { runFlow } from './run';

/**
 * Runs an /api/v1 command as a flow (alert, IntegrationStatus=failed and a red execution on failure) and answers
 * commandResultUpdate as soon as the result exists. The handler is set before the first await, so the update sent
 * with the start (Update-With-Start) finds it. The execution ends only after every answer has been sent.
 */
export async function runCommand<T>(
  input: CommandInput,
  ctx: { event: string; businessKey: string },
  body: () => Promise<T>,
): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; failure: ApplicationFailure } | undefined;
  setHandler(
    commandResultUpdate,
    async () => {
      await condition(() => outcome !== undefined);
      if (!outcome!.ok) throw outcome!.failure;
      return outcome!.value;
    },
    {
      validator: (bodyHash) => {
        if (bodyHash !== input.bodyHash) {
          throw ApplicationFailure.nonRetryable(
            'this Idempotency-Key was used with another body; send a new key for a new request',
            IDEMPOTENCY_KEY_REUSED,
          );
        }
      },
    },
  );
  try {
    const value = await runFlow({ source: `api:${input.client}`, ...ctx }, body);
    outcome = { ok: true, value };
    await condition(allHandlersFinished);
    return value;
  } catch (err) {
    const details = commandFailureOf(err);
    outcome = {
      ok: false,
      failure: ApplicationFailure.create({
        message: details.system ? `${details.system} failed: ${details.error}` : details.error,
        type: COMMAND_FAILED,
        nonRetryable: true,
        details: [details],
      }),
    };
    await condition(allHandlersFinished);
    throw err;
  }
}
