// The workflow bundle's entry point: every workflow type the worker serves is exported here.
export { orderPaid } from './order-paid';
export { paymentSucceeded } from './payment-succeeded';
export { contactSync } from './contact-sync';
export { syncState } from './sync-state';
export { reconcileOrders } from './reconcile-orders';
export { scheduleWatchdog } from './schedule-watchdog';
export { throttleGate } from './throttle-gate';
export { invoiceOrder } from './invoice-order';
export { upsertContact } from './upsert-contact';
