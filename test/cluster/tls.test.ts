import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, type TLSConfig } from '@temporalio/client';
import { type Cluster, deliver, newEvents, startCluster, untilDelivered } from './cluster';
import type { TemporalTls } from '../../scripts/lib/temporal-server';

const exec = promisify(execFile);

// The Temporal Cloud-style connection: the frontend serves mutual TLS with a self-signed CA, and Switchyard's
// processes reach it through the envconfig variables alone (TEMPORAL_TLS_SERVER_CA_CERT_PATH, _CLIENT_CERT_PATH,
// _CLIENT_KEY_PATH, _SERVER_NAME), as docs/deploying.md tells a user to set them.
let cluster: Cluster;
let certs: TemporalTls;
let dir: string;

async function openssl(...args: string[]): Promise<void> {
  await exec('openssl', args, { cwd: dir });
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCertificates(): Promise<TemporalTls> {
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=switchyard-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name === 'server' ? 'localhost' : 'switchyard'}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
  const at = (f: string) => path.join(dir, f);
  return {
    cert: at('server.pem'),
    key: at('server.key'),
    ca: at('ca.pem'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-tls-'));
  certs = await makeCertificates();
  // The server's config reads the files as the server process's user; the directory is readable to it.
  fs.chmodSync(dir, 0o755);
  cluster = await startCluster({ apis: 1, workers: 1, tls: certs });
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the API and the worker reach a mutual-TLS frontend through the envconfig variables; flows complete', async () => {
  const orders = newEvents(5, 'tls');
  for (const o of orders) expect((await deliver(cluster, cluster.apis[0]!, o.eventId, o.orderId)).status).toBe(202);
  await untilDelivered(cluster, orders, '5 emails over TLS', 120_000);

  // The same frontend refuses a plaintext client and a TLS client without a certificate from the CA.
  const refused = async (tls: TLSConfig | undefined) => {
    try {
      const c = await Connection.connect({ address: cluster.temporal.address, tls, connectTimeout: 3000 });
      await c.workflowService.getSystemInfo({}).finally(() => c.close());
      return 'connected';
    } catch (err) {
      return (err as Error).message.split('\n')[0]!;
    }
  };
  const plaintext = await refused(undefined);
  const noClientCert = await refused({
    serverNameOverride: 'localhost',
    serverRootCACertificate: fs.readFileSync(certs.ca),
  });
  process.stdout.write(
    `\n[cluster] TLS: 5 of 5 flows completed over mutual TLS; a plaintext client: ${plaintext}; ` +
      `a client without a certificate: ${noClientCert}\n`,
  );
  expect(plaintext).not.toBe('connected');
  expect(noClientCert).not.toBe('connected');
});
