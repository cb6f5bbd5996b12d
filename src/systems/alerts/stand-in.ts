import express from 'express';
import { type StandIn, type SystemState, systemRouter } from '../../kit/stand-in';

export interface SandboxAlert {
  received_at: string;
  idempotency_key?: string;
  payload: Record<string, unknown>;
}

/**
 * Alert inbox: a Slack-compatible incoming-webhook stand-in. Like Slack's, it takes no bearer key: the URL's last
 * segment is the secret, and a wrong one is a 404. Deliveries repeating an Idempotency-Key are acknowledged and not
 * stored twice. Faults (outage, 500s, 429) apply as to any system.
 */
export function standIn(state: SystemState): StandIn<{ received: SandboxAlert[] }> {
  const received: SandboxAlert[] = [];
  const router = systemRouter(state);
  router.post('/', (req, res) => {
    const key = req.header('idempotency-key') ?? undefined;
    if (typeof req.body?.text !== 'string') {
      res.status(400).json({ error: 'invalid', message: 'an alert needs a "text" field' });
      return;
    }
    if (!key || !received.some((a) => a.idempotency_key === key)) {
      received.push({ received_at: new Date().toISOString(), idempotency_key: key, payload: req.body });
    }
    res.status(200).json({ ok: true });
  });
  router.get('/', (_req, res) => res.json({ data: received }));
  const outer = express.Router({ mergeParams: true });
  outer.use(router);
  return { router: outer, data: { received }, reset: () => void (received.length = 0) };
}
