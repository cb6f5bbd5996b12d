/** The delivery was not signed by any current secret, or its timestamp is outside the tolerance. */
export class SignatureError extends Error {
  constructor(readonly reason: 'missing' | 'malformed' | 'mismatch' | 'stale') {
    super(`webhook signature rejected: ${reason}`);
    this.name = 'SignatureError';
  }
}

/** The delivery is signed but its content is not what the source promises. `field` is a dotted path. */
export class PayloadError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'PayloadError';
  }
}
