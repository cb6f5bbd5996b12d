export interface ServerSpec {
  version: string;
  from: 'TEMPORAL_SERVER_DIR' | 'cache' | 'built';
  server: string;
  sqlTool: string;
  schemaDir: string;
}
export function provisionTemporalServer(opts?: {
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  version?: string;
}): Promise<ServerSpec>;
export function provisionPostgres(opts?: { quiet?: boolean }): Promise<{ binDir: string; from: 'installed' | 'apt' }>;
export function pinnedServerVersion(composeFile?: string): string;
export function main(argv?: string[]): Promise<void>;
