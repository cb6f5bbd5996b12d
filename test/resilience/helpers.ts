import type { LoggedRequest } from '../../src/kit/stand-in';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { webhookWorkflowId } from '../../src/contracts/workflow-ids';
import { type Stack, uniqueId } from '../helpers/stack';

export interface Order {
  eventId: string;
  orderId: string;
  workflowId: string;
}

/** `n` new orders, each with the id of the flow its delivery starts in the deployment whose prefix is `prefix`. */
export function newOrders(n: number, prefix: string): Order[] {
  return Array.from({ length: n }, () => {
    const eventId = uniqueId('evt_');
    return { eventId, orderId: uniqueId('ORD-'), workflowId: webhookWorkflowId(prefix, 'shop', eventId) };
  });
}

/** Delivers the signed order.paid webhook of `order` to the stack's ingress; returns the HTTP status. */
export async function deliver(stack: Stack, order: Order): Promise<number> {
  const secret = stack.config.sources.shop.secrets[0]!;
  const res = await post(
    `${stack.apiUrl}/webhooks/shop`,
    signShop(secret, order.eventId, orderPaidBody(order.eventId, order.orderId)),
  );
  await res.arrayBuffer();
  return res.status;
}

/** Sets a sandbox system's faults through its admin API, as a test operator would. */
export async function setFaults(stack: Stack, system: 'accounting' | 'email-platform', faults: object): Promise<void> {
  const res = await fetch(`${stack.sandboxUrl}/__admin/${system}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`faults for ${system} refused: ${res.status} ${await res.text()}`);
}

export async function requestsOf(stack: Stack, system: 'accounting' | 'email-platform'): Promise<LoggedRequest[]> {
  const res = await fetch(`${stack.sandboxUrl}/__admin/${system}/requests`);
  return ((await res.json()) as { data: LoggedRequest[] }).data;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The most requests seen in any one-second window, ignoring the first `skipMs` after the first request. */
export function maxPerSecond(times: number[], skipMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  const start = (sorted[0] ?? 0) + skipMs;
  const counted = sorted.filter((t) => t >= start);
  let max = 0;
  for (let i = 0, j = 0; i < counted.length; i++) {
    while (counted[i]! - counted[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

export function invoicesFor(stack: Stack, orderId: string) {
  return stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId);
}

export function emailsFor(stack: Stack, orderId: string) {
  return stack.sandbox.data['email-platform'].messages.filter(
    (m) => (m.data as { order_id: string }).order_id === orderId,
  );
}
