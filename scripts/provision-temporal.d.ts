export type ExecutableSpec =
  { type: 'existing-path'; path: string; from: string } | { type: 'cached-download'; from: 'sdk-download' };

export interface ProvisionOptions {
  quiet?: boolean;
  cliOnly?: boolean;
  allowDownload?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function provisionTemporal(
  opts?: ProvisionOptions,
): Promise<{ cli: ExecutableSpec; testServer: ExecutableSpec | undefined }>;
export class ProvisionError extends Error {}
export const CLI_VERSION: string;
export const TEST_SERVER_VERSION: string;
