import type { Router } from 'express';
import { type StandIn, type SystemState, systemRouter } from '../../kit/stand-in';
import { type ChangeTracked, monotonicClock, pageOfChanges } from '../../kit/contacts-stand-in';

export interface ShopOrder extends ChangeTracked {
  status: 'pending' | 'paid' | 'refunded';
  total: number;
  currency: string;
  customer_email: string;
  paid_at: string | null;
}

export interface ShopData {
  orders: Map<string, ShopOrder>;
  now: () => string;
}

export function createShopData(): ShopData {
  return { orders: new Map(), now: monotonicClock() };
}

/** Adds an order in the shop (as a checkout would); `paid` sets paid_at. */
export function putShopOrder(
  data: ShopData,
  order: { id: string; total: number; currency: string; customer_email: string; status?: ShopOrder['status'] },
): ShopOrder {
  const at = data.now();
  const status = order.status ?? 'paid';
  const record: ShopOrder = {
    ...order,
    status,
    paid_at: status === 'paid' ? at : null,
    updated_at: at,
    field_changes: {},
  };
  data.orders.set(record.id, record);
  return record;
}

/** Shop API stand-in: orders by change time, filtered by status, with cursors. */
export function shopRouter(state: SystemState, data: ShopData): Router {
  const router = systemRouter(state);
  router.get('/orders', (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    const until = typeof req.query.updated_until === 'string' ? req.query.updated_until : undefined;
    res.json(
      pageOfChanges(
        data.orders.values(),
        req,
        (o) => (!status || o.status === status) && (!until || o.updated_at <= until),
      ),
    );
  });
  return router;
}

/** The shop API stand-in, as the system declaration mounts it. */
export function standIn(state: SystemState): StandIn<ShopData> {
  const data = createShopData();
  return { router: shopRouter(state, data), data, reset: () => data.orders.clear() };
}
