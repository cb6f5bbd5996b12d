import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { clusterEnvironment } from './cluster';
import { SERVER_CONFIG_DIR } from '../../scripts/lib/temporal-server';

const exec = promisify(execFile);

// deploy/temporal as docker-compose.yml's temporal service renders it, checked by the pinned server binary itself:
// the compose variables render (services on 0.0.0.0, the container's address advertised, PostgreSQL at the compose
// host), a missing secret is an error naming it, and the dynamic config holds only keys this version knows.
type Service = { environment?: string[]; command?: string[] };
const compose = parse(fs.readFileSync(path.join(SERVER_CONFIG_DIR, '../../docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};

/** The temporal service's environment as compose interpolates it: ${VAR:-default} unset, ${VAR:?...} the operator's. */
function composeEnv(): Record<string, string> {
  const env = Object.fromEntries(
    (compose.services.temporal!.environment ?? []).map((e) => [
      e.slice(0, e.indexOf('=')),
      e.slice(e.indexOf('=') + 1),
    ]),
  );
  for (const [k, v] of Object.entries(env)) {
    env[k] = v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'operator-secret');
  }
  // What the service's command exports before starting the server.
  return { ...env, TEMPORAL_BROADCAST_ADDRESS: '172.18.0.5' };
}

async function server(env: Record<string, string>, ...args: string[]) {
  const { server: bin } = clusterEnvironment().server;
  return exec(bin, ['--root', '/', '--config', SERVER_CONFIG_DIR, '--env', 'production', ...args], { env });
}

test("compose's variables render a server on 0.0.0.0 that advertises the container and uses the compose PostgreSQL; the password is never printed", async () => {
  const { stdout } = await server(composeEnv(), 'render-config');
  expect(stdout).toContain('connectAddr: postgresql:5432');
  expect(stdout).toContain('broadcastAddress: 172.18.0.5');
  expect(stdout.match(/bindOnIP: 0\.0\.0\.0/g)).toHaveLength(4);
  expect(stdout).toContain('filepath: /etc/switchyard/temporal/dynamicconfig.yaml');
  expect(stdout).toContain('numHistoryShards: 4');
  expect(stdout).not.toContain('operator-secret');
});

test('a missing PostgreSQL password stops the server with a message naming the variable', async () => {
  const env = composeEnv();
  delete env.POSTGRES_PWD;
  await expect(server(env, 'render-config')).rejects.toMatchObject({
    stderr: expect.stringContaining('POSTGRES_PWD is required'),
  });
});

test('deploy/temporal/dynamicconfig.yaml holds only keys and types the pinned server knows', async () => {
  const { server: bin } = clusterEnvironment().server;
  const { stdout } = await exec(bin, ['validate-dynamic-config', path.join(SERVER_CONFIG_DIR, 'dynamicconfig.yaml')]);
  expect(stdout.trim()).toBe(path.join(SERVER_CONFIG_DIR, 'dynamicconfig.yaml'));
});
