export { orderPaidBody, signShop } from '../../src/sources/shop/sender';
export { post, type SignedRequest } from '../../src/kit/source/sender';
