export type ToolName = 'mailpit' | 'stripe-mock';

export interface ToolSpec {
  path: string;
  version: string;
  from: 'MAILPIT_BIN' | 'STRIPE_MOCK_BIN' | 'PATH' | 'cache' | 'built';
}

export interface ToolOptions {
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  /** How often a build or a wait for another process's build reports progress; default 15 s. */
  progressIntervalMs?: number;
}

export function provisionTool(name: ToolName, opts?: ToolOptions): Promise<ToolSpec>;
/** The Mailpit binary, built into the cache on first use. */
export function resolveMailpit(opts?: ToolOptions): Promise<string>;
/** The stripe-mock binary, built into the cache on first use. */
export function resolveStripeMock(opts?: ToolOptions): Promise<string>;
/** The Mailpit binary as provisioned; throws, naming the command to run, when it is not. Never builds. */
export function mailpitPath(env?: NodeJS.ProcessEnv): string;
/** The stripe-mock binary as provisioned; throws, naming the command to run, when it is not. Never builds. */
export function stripeMockPath(env?: NodeJS.ProcessEnv): string;
/** The Chromium the Web UI tests drive (CHROMIUM_PATH, else `chromium` on PATH), or undefined. Never installs. */
export function chromiumPath(env?: NodeJS.ProcessEnv): string | undefined;
/** Chromium, installing Debian's package when it is missing and apt can. */
export function provisionChromium(opts?: ToolOptions): Promise<{ path: string; from: 'installed' | 'apt' }>;
/** wrk for the benchmarks, installing Debian's package when it is missing and apt can. */
export function provisionWrk(opts?: ToolOptions): Promise<{ path: string; from: 'installed' | 'apt' }>;
export function main(argv?: string[]): Promise<void>;
export { ProvisionError } from './provision-temporal.js';
export const MAILPIT_VERSION: string;
export const STRIPE_MOCK_VERSION: string;
