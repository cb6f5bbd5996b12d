import { Context } from '@temporalio/activity';
import type { DownstreamClient } from './http';

// Activities take their dependencies: the worker builds the downstream clients from config, tests point them at
// the sandbox. Every mutating call carries an idempotency key made of the business key and the step.

export interface ActivityDeps {
  accounting: DownstreamClient;
  email: DownstreamClient;
  alerts?: DownstreamClient;
  temporalUiUrl: string;
  namespace: string;
  /** Told of every alert that reached the alert webhook (metrics). */
  onAlertSent?(kind: AlertInput['kind']): void;
}

export interface Invoice {
  id: string;
  order_id: string;
  total: number;
  currency: string;
  customer_email: string;
  status: 'open' | 'paid';
}

export interface EmailMessage {
  id: string;
  to: string;
  subject: string;
}

export interface CreateInvoiceInput {
  orderId: string;
  total: number;
  currency: string;
  customerEmail: string;
}

export interface SendInvoiceEmailInput {
  orderId: string;
  invoiceId: string;
  to: string;
  total: number;
  currency: string;
}

export interface AlertInput {
  kind: 'failed' | 'retrying';
  workflowId: string;
  runId: string;
  workflowType: string;
  source?: string;
  event?: string;
  businessKey?: string;
  error: string;
  /** For "retrying" alerts: the activity that keeps failing, and the attempt that raised the alert. */
  activityId?: string;
  activityType?: string;
  attempt?: number;
}

/** Idempotency key for a side effect: stable across activity retries, workflow re-runs and duplicate sources. */
export function idempotencyKey(step: string, businessKey: string): string {
  return `${step}:${businessKey}`;
}

export function createActivities(deps: ActivityDeps) {
  return {
    async createInvoice(input: CreateInvoiceInput): Promise<Invoice> {
      const key = idempotencyKey('invoice', input.orderId);
      const res = await deps.accounting.request<Invoice>('POST', '/invoices', {
        idempotencyKey: key,
        accept: [409],
        signal: Context.current().cancellationSignal,
        body: {
          order_id: input.orderId,
          total: input.total,
          currency: input.currency,
          customer_email: input.customerEmail,
        },
      });
      if (res.status !== 409) return res.body;
      // The invoice exists (created under another key, e.g. by hand): fetch it and succeed.
      const existing = await deps.accounting.request<{ data: Invoice[] }>('GET', '/invoices', {
        query: { order_id: input.orderId },
      });
      const invoice = existing.body.data[0];
      if (!invoice) throw new Error(`accounting answered 409 for order ${input.orderId} but lists no invoice for it`);
      return invoice;
    },

    async sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<EmailMessage> {
      const res = await deps.email.request<EmailMessage>('POST', '/messages', {
        idempotencyKey: idempotencyKey('invoice-email', input.orderId),
        signal: Context.current().cancellationSignal,
        body: {
          to: input.to,
          template: 'invoice',
          subject: `Your invoice for order ${input.orderId}`,
          data: { order_id: input.orderId, invoice_id: input.invoiceId, total: input.total, currency: input.currency },
        },
      });
      return res.body;
    },

    async markInvoicePaid(input: { orderId: string; paymentId: string; amount: number; currency: string }) {
      const existing = await deps.accounting.request<{ data: Invoice[] }>('GET', '/invoices', {
        query: { order_id: input.orderId },
      });
      const invoice = existing.body.data[0];
      if (!invoice) {
        // The order's invoice may not exist yet (payment reported before order.paid was processed): retry later.
        throw new Error(`no invoice for order ${input.orderId} yet`);
      }
      const res = await deps.accounting.request<Invoice>(
        'POST',
        `/invoices/${encodeURIComponent(invoice.id)}/payments`,
        {
          idempotencyKey: idempotencyKey('invoice-payment', input.paymentId),
          body: { payment_id: input.paymentId, amount: input.amount, currency: input.currency },
        },
      );
      return res.body;
    },

    async sendAlert(input: AlertInput): Promise<void> {
      if (!deps.alerts) throw new Error('ALERT_WEBHOOK_URL is not configured: failures cannot reach a person');
      const link = `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(
        input.workflowId,
      )}/${encodeURIComponent(input.runId)}/history`;
      const headline =
        input.kind === 'failed'
          ? `:red_circle: ${input.workflowType} failed for ${input.businessKey ?? input.workflowId}`
          : `:warning: ${input.workflowType} is still retrying ${input.activityType ?? 'an activity'} ` +
            `(attempt ${input.attempt ?? '?'}) for ${input.businessKey ?? input.workflowId}`;
      // One alert per failed run, and one per retrying activity of a run: a redelivery repeats the same key.
      const scope = [input.workflowId, input.runId, input.activityId].filter(Boolean).join(':');
      await deps.alerts.request('POST', '', {
        idempotencyKey: idempotencyKey(`alert-${input.kind}`, scope),
        body: {
          text: `${headline}: ${input.error} <${link}|open in Temporal>`,
          kind: input.kind,
          workflow_id: input.workflowId,
          run_id: input.runId,
          workflow_type: input.workflowType,
          source: input.source,
          event: input.event,
          business_key: input.businessKey,
          error: input.error,
          activity_type: input.activityType,
          attempt: input.attempt,
          link,
        },
      });
      deps.onAlertSent?.(input.kind);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
