import { ExpectedError } from '../expected-error';

/** An error that maps to an HTTP answer. `code` is machine-readable, `message` is for the person reading it. */
export class HttpError extends ExpectedError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
