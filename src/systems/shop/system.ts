import { defineSystem } from '../../kit/declare';
import { createShopActivities } from './activities';

export const shop = defineSystem({
  name: 'shop',
  title: 'Shop',
  owns: 'orders and whether they are paid (source of truth); also sends the order.paid webhook',
  auth: 'bearer',
  defaultRatePerSecond: 10,
  activities: createShopActivities,
  activityDocs: {
    listPaidOrders: { does: 'reads the orders paid in a window', kind: 'read', profile: 'batch' },
  },
});

/** The declaration's type, for workflows: `systemActivities<Shop>('shop', profile)`. */
export type Shop = typeof shop;
