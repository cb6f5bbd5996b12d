import express, { type Router } from 'express';

export interface SandboxAlert {
  received_at: string;
  idempotency_key?: string;
  payload: Record<string, unknown>;
}

/**
 * Alert inbox: a Slack-compatible incoming-webhook stand-in. Like Slack's, it needs no bearer key (the URL is the
 * secret). Deliveries repeating an Idempotency-Key are acknowledged and not stored twice.
 */
export function alertsRouter(alerts: SandboxAlert[]): Router {
  const router = express.Router();
  router.use(express.json({ limit: '256kb' }));
  router.post('/', (req, res) => {
    const key = req.header('idempotency-key') ?? undefined;
    if (typeof req.body?.text !== 'string') {
      res.status(400).json({ error: 'invalid', message: 'an alert needs a "text" field' });
      return;
    }
    if (!key || !alerts.some((a) => a.idempotency_key === key)) {
      alerts.push({ received_at: new Date().toISOString(), idempotency_key: key, payload: req.body });
    }
    res.status(200).json({ ok: true });
  });
  router.get('/', (_req, res) => res.json({ data: alerts }));
  return router;
}
