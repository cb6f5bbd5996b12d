export function provisionSchemathesis(opts?: {
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  version?: string;
}): Promise<{ path: string; version: string; from: 'cache' | 'installed' }>;
/** The cached `st` executable, or undefined when `node scripts/provision-schemathesis` has not run. */
export function schemathesisPath(env?: NodeJS.ProcessEnv, version?: string): string | undefined;
export function main(argv?: string[]): Promise<void>;
export const SCHEMATHESIS_VERSION: string;
