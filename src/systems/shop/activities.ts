import { Context } from '@temporalio/activity';
import type { SystemActivityDeps } from '../../kit/activity-deps';

// The shop's API: the source of truth for orders. Reconciliation reads which orders were paid.

export interface PaidOrder {
  id: string;
  total: number;
  currency: string;
  customerEmail: string;
  paidAt: string | null;
}

interface RawOrder {
  id: string;
  total: number;
  currency: string;
  customer_email: string;
  paid_at: string | null;
}

export function createShopActivities({ client }: SystemActivityDeps) {
  return {
    async listPaidOrders(input: {
      since: string;
      until: string;
      cursor: string | null;
    }): Promise<{ orders: PaidOrder[]; next: string | null }> {
      const res = await client.request<{ data: RawOrder[]; next_cursor: string | null }>('GET', '/orders', {
        query: {
          status: 'paid',
          updated_since: input.since,
          updated_until: input.until,
          cursor: input.cursor ?? undefined,
        },
        signal: Context.current().cancellationSignal,
      });
      return {
        orders: res.body.data.map((o) => ({
          id: o.id,
          total: o.total,
          currency: o.currency,
          customerEmail: o.customer_email,
          paidAt: o.paid_at,
        })),
        next: res.body.next_cursor,
      };
    },
  };
}

export type ShopActivities = ReturnType<typeof createShopActivities>;
