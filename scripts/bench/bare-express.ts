// P3's baseline: a bare Express app, in its own process, that reads the raw body of POST /webhooks/:source with the
// same parser and limit as the ingress and answers 401, as the ingress does for a bad signature.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { withLongKeepAlive } from '../../src/http/keep-alive';

const limit = Number(process.env.WEBHOOK_MAX_BODY_BYTES ?? 256 * 1024);
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/webhooks/:source', express.raw({ type: () => true, limit, inflate: false }), (_req, res) => {
  res.status(401).json({ error: 'invalid_signature', message: 'signature does not match' });
});
const server = withLongKeepAlive(
  app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'bare express listening', ingress: `http://127.0.0.1:${port}` })}\n`);
  }),
);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
