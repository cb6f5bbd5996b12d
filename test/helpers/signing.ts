export { orderPaidBody, post, signShop, type SignedRequest } from '../../scripts/lib/senders';
