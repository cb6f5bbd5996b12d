// What a source's sample sender offers: a delivery of the event that starts its flow, signed the way the provider
// signs it. `npm run send-sample`, the benchmarks and the tests all sign through these, so there is one signer per
// source and it is the provider's own library where one exists.

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

export interface SampleSender {
  /** The event id `npm run send-sample` sends unless told otherwise. */
  eventId: string;
  /** The provider's payload of the flow-starting event for `orderId`, with event id `eventId`. */
  body(eventId: string, orderId: string): string;
  /** Signs `body` with `secret` as the provider does, at `at` (now by default). */
  sign(secret: string, body: string, delivery: { eventId: string; at?: Date }): SignedRequest;
}

export function post(url: string, req: SignedRequest): Promise<Response> {
  return fetch(url, { method: 'POST', headers: req.headers, body: req.body });
}
