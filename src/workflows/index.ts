// The workflow bundle's entry point: every workflow type the worker serves is exported here.
export { orderPaid } from './order-paid';
export { paymentSucceeded } from './payment-succeeded';
