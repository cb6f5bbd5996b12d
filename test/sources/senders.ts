export { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../../scripts/lib/senders';
