import express, { type Router } from 'express';
import { z } from 'zod';
import { idempotent, nextId, paginate, type StandIn, type SystemState, systemRouter } from '../../kit/stand-in';
import { createEmailContactData, type EmailContactData, emailContactsRouter } from './contacts-stand-in';

export interface SandboxMessage {
  id: string;
  to: string;
  subject: string;
  template?: string;
  data?: unknown;
  sent_at: string;
}

const sendMessage = z.object({
  to: z.email(),
  subject: z.string().min(1),
  template: z.string().optional(),
  data: z.unknown().optional(),
});

/** Email platform stand-in: transactional messages, idempotent by key. */
export function emailRouter(state: SystemState, messages: SandboxMessage[]): Router {
  const router = systemRouter(state);

  router.post(
    '/messages',
    idempotent(state, (req) => {
      const parsed = sendMessage.safeParse(req.body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid', message: parsed.error.issues[0]?.message } };
      const message: SandboxMessage = { id: nextId('msg'), ...parsed.data, sent_at: new Date().toISOString() };
      messages.push(message);
      return { status: 201, body: message };
    }),
  );

  // Searchable by recipient, template and the order id in the message's data, as real platforms search by tag.
  router.get('/messages', (req, res) => {
    const q = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);
    const [to, template, orderId] = [q('to'), q('template'), q('order_id')];
    const matching = messages.filter(
      (m) =>
        (!to || m.to === to) &&
        (!template || m.template === template) &&
        (!orderId || (m.data as { order_id?: unknown } | undefined)?.order_id === orderId),
    );
    res.json(paginate(matching, req.query.cursor, req.query.limit));
  });

  return router;
}

/** The email platform stand-in: transactional messages and the contact list, under one key and one fault set. */
export function standIn(state: SystemState): StandIn<{ messages: SandboxMessage[]; contacts: EmailContactData }> {
  const messages: SandboxMessage[] = [];
  const contacts = createEmailContactData();
  const router = express.Router();
  router.use('/contacts', emailContactsRouter(state, contacts));
  router.use(emailRouter(state, messages));
  return {
    router,
    data: { messages, contacts },
    reset() {
      messages.length = 0;
      contacts.contacts.clear();
      contacts.byExternalId.clear();
      contacts.suppressed.clear();
    },
  };
}
