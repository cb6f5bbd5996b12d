import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, requiredInProduction, type Role } from '../../src/config';

// We cannot run Docker here, so the compose file is checked statically: each Switchyard service must be given every
// variable its role cannot start without, the stack must have Temporal on PostgreSQL and the UI, and the image's
// entry points must exist in the build output.
type Service = { environment?: string[] | Record<string, string>; command?: string[]; image?: string; build?: unknown };

const root = path.join(__dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe('docker-compose.yml', () => {
  test.each<[string, Role]>([
    ['api', 'api'],
    ['worker', 'worker'],
  ])('the %s service is given every variable the config loader requires of its role', (name, role) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    const env = envOf(service!);
    expect(env.NODE_ENV).toBe('production');
    for (const variable of requiredInProduction(role)) {
      expect({ variable, value: env[variable] }).toEqual({ variable, value: expect.stringMatching(/\S/) });
    }
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  test('secrets are substituted from the environment with a required-variable check, never written inline', () => {
    for (const name of ['api', 'worker']) {
      const env = envOf(compose.services[name]!);
      for (const variable of requiredInProduction(name as Role).filter((v) => /SECRET|KEY/.test(v))) {
        expect(env[variable]).toBe(`\${${variable}:?set ${variable}}`);
      }
    }
  });

  test('Temporal runs on PostgreSQL, with the UI, and the API and worker are built from the Dockerfile', () => {
    expect(compose.services.postgresql?.image).toMatch(/^postgres:/);
    expect(envOf(compose.services.temporal!).DB).toMatch(/^postgres/);
    expect(compose.services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    expect(compose.services.api?.build).toBe('.');
    expect(compose.services.worker?.build).toBe('.');
    expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
  });

  test("each service's command runs an entry point that the build produces", () => {
    for (const name of ['api', 'worker']) {
      const [, script] = compose.services[name]!.command!;
      const source = script!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(fs.existsSync(path.join(root, source))).toBe(true);
    }
  });

  test('only the ingress port is published; the operator listener is exposed to the compose network only', () => {
    const api = compose.services.api as Service & { ports?: string[]; expose?: string[] };
    expect(api.ports).toEqual(['3000:3000']);
    expect(envOf(api).ADMIN_PORT).toBe('3001');
    expect(api.expose).toEqual(['3001']);
  });

  test('an unset ADMIN_TOKEN reaches the API as an empty value, which starts the API with /admin off', () => {
    const env = envOf(compose.services.api!);
    expect(env.ADMIN_TOKEN).toBe('${ADMIN_TOKEN:-}');
    // What compose substitutes for ${ADMIN_TOKEN:-} when the operator did not set it.
    const substituted = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-\}/, '').replace(/\$\{[A-Z_]+:\?[^}]*\}/, 'x')]),
    );
    const secrets = {
      SHOP_WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
      SHOPIFY_WEBHOOK_SECRET: 'shpss_0123456789abcdef0123',
      STRIPE_WEBHOOK_SECRET: 'whsec_0123456789abcdef0123',
      API_CLIENTS: JSON.stringify([{ name: 'erp', key: `sha256:${'ab'.repeat(32)}`, scopes: ['orders:write'] }]),
      CRM_API_URL: 'https://crm.example.com',
      CRM_API_KEY: 'crm-key-production',
      EMAIL_PLATFORM_API_URL: 'https://email.example.com',
      EMAIL_PLATFORM_API_KEY: 'email-key-production',
    };
    expect(loadConfig({ ...substituted, ...secrets }, 'api').admin).toBeUndefined();
  });
});
