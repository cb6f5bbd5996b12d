import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, requiredInProduction, type Role } from '../../src/config';
import { pinnedServerVersion } from '../../src/dev/provision-cluster.js';
import { WORKER_PROCESS_ENV } from '../../src/worker/node-options';

// We cannot run Docker here, so the compose file is checked statically: each Switchyard service must be given every
// variable its role cannot start without, the stack must have Temporal on PostgreSQL and the UI, and the image's
// entry points must exist in the build output.
type Service = {
  environment?: string[] | Record<string, string>;
  command?: string[];
  image?: string;
  build?: unknown;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
};

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
    expect(envOf(compose.services.temporal!).POSTGRES_SEEDS).toBe('postgresql');
    expect(compose.services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    expect(compose.services.api?.build).toBe('.');
    expect(compose.services.worker?.build).toBe('.');
    expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
  });

  describe('the Temporal server and its schema job read the deploy/temporal files the test cluster runs', () => {
    const server = compose.services.temporal! as Service & { entrypoint?: string[] };
    const schema = compose.services['temporal-schema']! as Service & { entrypoint?: string[] };

    test('no deprecated auto-setup image; server, schema job and admin tools are one pinned version', () => {
      const images = Object.values(compose.services).map((s) => s.image ?? '');
      expect(images.filter((i) => i.includes('auto-setup'))).toEqual([]);
      const tag = (image: string | undefined) => /:(.*)$/.exec(image ?? '')?.[1];
      expect(server.image).toMatch(/^temporalio\/server:\$\{TEMPORAL_VERSION:-\d+\.\d+\.\d+\}$/);
      expect(tag(schema.image)).toBe(tag(server.image));
      expect(tag(compose.services['temporal-admin-tools']!.image)).toBe(tag(server.image));
      // The version `npm run test:cluster` builds is read from this same pin.
      expect(`v${/:-([^}]+)\}/.exec(server.image!)![1]}`).toBe(pinnedServerVersion());
    });

    test('the server starts with deploy/temporal/production.yaml and its dynamic config, mounted read-only', () => {
      expect(server.volumes).toContain('./deploy/temporal:/etc/switchyard/temporal:ro');
      expect(server.command!.join(' ')).toContain('--config /etc/switchyard/temporal --env production');
      expect(fs.existsSync(path.join(root, 'deploy/temporal/production.yaml'))).toBe(true);
      const dynamic = envOf(server).DYNAMIC_CONFIG_FILE_PATH!;
      expect(dynamic).toMatch(/^\/etc\/switchyard\/temporal\//);
      expect(fs.existsSync(path.join(root, 'deploy/temporal', path.basename(dynamic)))).toBe(true);
    });

    test('the schema job runs deploy/temporal/setup-schema.sh with the variables the script requires', () => {
      expect(schema.volumes).toContain('./deploy/temporal:/etc/switchyard/temporal:ro');
      expect(schema.entrypoint).toEqual(['sh', '/etc/switchyard/temporal/setup-schema.sh']);
      const script = fs.readFileSync(path.join(root, 'deploy/temporal/setup-schema.sh'), 'utf8');
      const required = [...script.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!);
      expect(required.sort()).toEqual(['POSTGRES_PWD', 'POSTGRES_SEEDS', 'POSTGRES_USER']);
      for (const name of required) expect(envOf(schema)[name]).toMatch(/\S/);
      // The server's template requires the same three (it fails to render without them).
      const template = fs.readFileSync(path.join(root, 'deploy/temporal/production.yaml'), 'utf8');
      for (const name of required) expect(template).toContain(`"${name}"`);
      for (const name of required) expect(envOf(server)[name]).toBe(envOf(schema)[name]);
    });

    test('the server waits for the schema job, and the namespace setup (npm run setup) for the server', () => {
      const dependsOn = (name: string) =>
        (compose.services[name] as Service & { depends_on?: Record<string, { condition: string }> }).depends_on;
      expect(dependsOn('temporal')).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
      expect(dependsOn('temporal-setup')).toEqual({ temporal: { condition: 'service_healthy' } });
      expect(compose.services['temporal-setup']!.command).toEqual(['node', 'dist/src/ops/setup.js']);
      expect(dependsOn('api')).toEqual({ 'temporal-setup': { condition: 'service_completed_successfully' } });
    });
  });

  test("the worker's memory settings are the ones the benchmarks measured (src/worker/node-options.ts)", () => {
    expect(envOf(compose.services.worker!)).toMatchObject(WORKER_PROCESS_ENV);
  });

  test("each service's command runs an entry point that the build produces", () => {
    for (const name of ['api', 'worker']) {
      const [, script] = compose.services[name]!.command!;
      const source = script!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(fs.existsSync(path.join(root, source))).toBe(true);
    }
  });

  describe("every service's published ports", () => {
    type Published = { service: string; host: string; port: string };
    // Compose's short syntax [HOST_IP:]HOST_PORT:CONTAINER_PORT (IPv6 in brackets), or a bare CONTAINER_PORT that
    // publishes an ephemeral port on every interface; and the long syntax { target, published, host_ip }.
    const published = (service: string, s: Service & { network_mode?: string }): Published[] =>
      (s.ports ?? []).map((entry: unknown) => {
        if (typeof entry === 'object' && entry !== null) {
          const long = entry as { host_ip?: string; published?: string | number; target?: number };
          return { service, host: long.host_ip ?? '0.0.0.0', port: String(long.published ?? long.target) };
        }
        const text = String(entry);
        const ip = /^(\[[^\]]+\]|\d+\.\d+\.\d+\.\d+):/.exec(text)?.[1];
        const rest = ip ? text.slice(ip.length + 1) : text;
        const parts = rest.split(':');
        return { service, host: ip ?? '0.0.0.0', port: parts.length > 1 ? parts[0]! : `ephemeral→${parts[0]}` };
      });
    const all = Object.entries(compose.services).flatMap(([name, s]) => published(name, s));
    const loopback = (host: string) => /^(127\.\d+\.\d+\.\d+|\[::1\])$/.test(host);

    test('on every interface, only the webhook ingress', () => {
      expect(all.filter((p) => !loopback(p.host))).toEqual([{ service: 'api', host: '0.0.0.0', port: '3000' }]);
    });

    test('Temporal (frontend, admin tools, schema, setup) and PostgreSQL publish nothing, on any interface', () => {
      for (const service of ['temporal', 'temporal-admin-tools', 'temporal-schema', 'temporal-setup', 'postgresql']) {
        expect({ service, ports: all.filter((p) => p.service === service) }).toEqual({ service, ports: [] });
      }
    });

    test('the Web UI, Prometheus and Grafana only on loopback', () => {
      expect(
        all
          .filter((p) => loopback(p.host))
          .map((p) => p.service)
          .sort(),
      ).toEqual(['grafana', 'prometheus', 'temporal-ui']);
    });

    test("no service shares the host's network, which would publish every port it listens on", () => {
      for (const [name, s] of Object.entries(compose.services)) {
        expect({ name, mode: (s as { network_mode?: string }).network_mode }).toEqual({ name });
      }
    });

    test('the server runs without auth only because nothing publishes its frontend', () => {
      const server = compose.services.temporal!;
      if (server.command!.join(' ').includes('--allow-no-auth')) {
        expect(all.filter((p) => p.service === 'temporal')).toEqual([]);
      }
    });
  });

  test('Grafana creates no admin account (no default admin/admin) and allows no basic auth', () => {
    const env = envOf(compose.services.grafana!);
    const passwordSet = /\S/.test(env.GF_SECURITY_ADMIN_PASSWORD ?? '') && env.GF_SECURITY_ADMIN_PASSWORD !== 'admin';
    expect(passwordSet || env.GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION === 'true').toBe(true);
    expect(env.GF_AUTH_BASIC_ENABLED).toBe('false');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE ?? 'Viewer').toBe('Viewer');
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
    // Strong, distinct values, as production requires (docs/configuration-secrets.md).
    const secrets = {
      SHOP_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
      SHOPIFY_WEBHOOK_SECRET: `shpss_${randomBytes(16).toString('hex')}`,
      STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
      PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      API_CLIENTS: JSON.stringify([
        { name: 'erp', key: `sha256:${randomBytes(32).toString('hex')}`, scopes: ['orders:write'] },
      ]),
      CRM_API_URL: 'https://crm.example.com',
      CRM_API_KEY: randomBytes(24).toString('base64url'),
      EMAIL_PLATFORM_API_URL: 'https://email.example.com',
      EMAIL_PLATFORM_API_KEY: randomBytes(24).toString('base64url'),
    };
    expect(loadConfig({ ...substituted, ...secrets }, 'api').admin).toBeUndefined();
  });

  describe('the monitoring profile', () => {
    const monitoring = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('monitoring'));

    test('adds Prometheus and Grafana, and only those; a plain `up` starts neither', () => {
      expect(monitoring.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
      for (const [name, s] of Object.entries(compose.services)) {
        if (!['grafana', 'prometheus'].includes(name)) expect({ name, profiles: s.profiles }).toEqual({ name });
      }
    });

    test("Prometheus scrapes the API's operator listener and the worker's metrics port, and loads the alert rules", () => {
      const prometheus = compose.services.prometheus!;
      expect(prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
      const config = parse(fs.readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
        rule_files: string[];
        scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      };
      for (const rules of config.rule_files)
        expect(fs.existsSync(path.join(root, 'deploy/prometheus', rules))).toBe(true);
      const targets = Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets]));
      const api = envOf(compose.services.api!);
      const worker = envOf(compose.services.worker!);
      expect(targets['switchyard-api']).toEqual([`api:${api.ADMIN_PORT}`]);
      expect(api.ADMIN_HOST).toBe('0.0.0.0');
      expect(targets['switchyard-worker']).toEqual([`worker:${worker.WORKER_METRICS_PORT}`]);
      expect(worker.WORKER_METRICS_HOST).toBe('0.0.0.0');
    });

    test('Grafana is provisioned with the dashboard and the Prometheus datasource', () => {
      const grafana = compose.services.grafana!;
      for (const volume of grafana.volumes ?? []) {
        expect(fs.existsSync(path.join(root, volume.split(':')[0]!))).toBe(true);
      }
      expect(grafana.volumes).toContain(
        './deploy/grafana/switchyard.json:/var/lib/grafana/dashboards/switchyard.json:ro',
      );
      const datasources = parse(
        fs.readFileSync(path.join(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
      ) as { datasources: Array<{ type: string; url: string }> };
      expect(datasources.datasources).toEqual([
        expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
      ]);
    });

    test("both are published on the host's loopback only", () => {
      for (const [, s] of monitoring) for (const port of s.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    });
  });
});
