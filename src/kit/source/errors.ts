import { ExpectedError } from '../../expected-error';

/** The delivery was not signed by any current secret, or its timestamp is outside the tolerance. */
export class SignatureError extends ExpectedError {
  constructor(readonly reason: 'missing' | 'malformed' | 'mismatch' | 'stale') {
    super(`webhook signature rejected: ${reason}`);
    this.name = 'SignatureError';
  }
}

/** The delivery is signed but its content is not what the source promises. `field` is a dotted path. */
export class PayloadError extends ExpectedError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'PayloadError';
  }
}

/**
 * A header the delivery must carry at most once arrived several times (Node would have joined the values with ", ").
 * No single value can be trusted, so the delivery is refused rather than read one way or another.
 */
export class RepeatedHeaderError extends ExpectedError {
  constructor(
    readonly header: string,
    readonly count: number,
  ) {
    super(`header ${header} was sent ${count} times; send it exactly once`);
    this.name = 'RepeatedHeaderError';
  }
}
