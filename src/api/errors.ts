import type { Response } from 'express';
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

/** Answers with `http`'s status, headers and JSON body: what every refusal and error of both listeners looks like. */
export function sendHttpError(res: Response, http: HttpError): void {
  res
    .set(http.headers)
    .status(http.status)
    .json({ error: http.code, message: http.message, ...http.extra });
}
