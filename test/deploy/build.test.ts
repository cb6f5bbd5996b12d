import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { productionApiEnv, uniqueId } from '../helpers/stack';

// What the image runs: `npm run build`, then the built API as production starts it, against a real Temporal server.
// The output goes under .cache/ (inside the repo, so the built files resolve node_modules like dist/ does).
describe('the production build', () => {
  const root = path.resolve(__dirname, '../..');
  const outDir = path.join(root, '.cache', `build-test-${randomBytes(4).toString('hex')}`);
  let api: ChildProcess | undefined;

  afterAll(async () => {
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((r) => api!.once('exit', r));
    }
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  test('npm run build compiles, and the built API starts in production and accepts a signed webhook', async () => {
    await promisify(execFile)('npm', ['run', 'build', '--', '--outDir', outDir], { cwd: root });
    const main = path.join(outDir, 'src', 'api', 'main.js');
    expect(fs.existsSync(main)).toBe(true);

    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const apiEnv = productionApiEnv(secret);
    api = spawn(process.execPath, [main], {
      cwd: root,
      env: apiEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    api.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const listening = await new Promise<{ ingress: string }>((resolve, reject) => {
      let out = '';
      api!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        for (const line of out.split('\n')) {
          if (line.includes('"api listening"')) resolve(JSON.parse(line) as { ingress: string });
        }
      });
      api!.once('exit', (code) => reject(new Error(`the built API exited (${code}): ${stderr}`)));
    });

    expect((await fetch(`${listening.ingress}/readyz`)).status).toBe(200);
    const eventId = uniqueId('evt_');
    const res = await post(
      `${listening.ingress}/webhooks/shop`,
      signShop(secret, eventId, orderPaidBody(eventId, 'B-1')),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      status: 'accepted',
      workflowId: `${apiEnv.TASK_QUEUE_PREFIX}shop:${eventId}`,
    });
  }, 120_000);
});
