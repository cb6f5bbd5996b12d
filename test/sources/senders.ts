export { shopifyOrderPaidBody, signShopify } from '../../src/sources/shopify/sender';
export { signStripe, stripePaymentBody } from '../../src/sources/stripe/sender';
