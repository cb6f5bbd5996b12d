import type { ServerResponse } from 'node:http';
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

/**
 * Answers `status` with `body` as JSON, as Express's `res.json` does (the same Content-Type and Content-Length), on
 * Node's own response: the webhook ingress answers without Express (src/api/webhooks), and both listeners' refusals
 * look the same whichever answered them.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Answers with `http`'s status, headers and JSON body: what every refusal and error of both listeners looks like. */
export function sendHttpError(res: ServerResponse, http: HttpError): void {
  sendJson(res, http.status, { error: http.code, message: http.message, ...http.extra }, http.headers);
}

/**
 * The answer for an error reading a body (raw-body's, which body-parser passes on as they are): too large, an
 * encoding not accepted, a body shorter or longer than its Content-Length, a client gone. Undefined for anything else.
 */
export function bodyReadRefusal(err: unknown): HttpError | undefined {
  const e = err as { type?: string; status?: number; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'body exceeds the size limit');
    case 'encoding.unsupported':
      return new HttpError(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
    case 'request.aborted':
    case 'request.size.invalid':
      return new HttpError(400, 'bad_request', e.message ?? 'bad request');
    default:
      return typeof e?.status === 'number' && e.status >= 400 && e.status < 500
        ? new HttpError(e.status, 'bad_request', e.message ?? 'bad request')
        : undefined;
  }
}
