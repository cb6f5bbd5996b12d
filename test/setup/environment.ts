import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

// Jest's node environment, plus one thing: the SDK log lines a test file's setup holds (test/setup/quiet-runtime.ts)
// are printed under a test or hook that failed, and dropped once a test passes.
export default class HeldLogEnvironment extends TestEnvironment {
  private readonly file: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.file = context.testPath;
  }

  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'test_done' && event.test.errors.length > 0) this.print(`"${event.test.name}" failed`);
    else if (event.name === 'hook_failure') this.print(`its ${event.hook.type} hook failed`);
    else if (event.name === 'test_done') this.takeHeld();
  }

  private takeHeld(): string[] {
    const held = (this.global as { __switchyardHeldLog?: string[] }).__switchyardHeldLog;
    return held ? held.splice(0, held.length) : [];
  }

  private print(what: string): void {
    const lines = this.takeHeld();
    if (lines.length === 0) return;
    process.stderr.write(`\n── the SDK's log while ${what} (${this.file}) ──\n${lines.join('\n')}\n\n`);
  }
}
