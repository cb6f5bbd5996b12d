export type ExecutableSpec =
  { type: 'existing-path'; path: string; from: string } | { type: 'cached-download'; from: 'sdk-download' };

export interface ProvisionOptions {
  quiet?: boolean;
  cliOnly?: boolean;
  allowDownload?: boolean;
  /** How often a build or a wait for another process's build reports progress; default 15 s. */
  progressIntervalMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function provisionTemporal(
  opts?: ProvisionOptions,
): Promise<{ cli: ExecutableSpec; testServer: ExecutableSpec | undefined }>;
export class ProvisionError extends Error {}
export const CLI_VERSION: string;
export const TEST_SERVER_VERSION: string;
