/** The SDK log lines of the running test file, held until the environment knows whether its test passed. */
export function heldLog(): string[] {
  const g = globalThis as { __switchyardHeldLog?: string[] };
  return (g.__switchyardHeldLog ??= []);
}
