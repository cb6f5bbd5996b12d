import type { NextFunction, Request, Response } from 'express';
import {
  type Delivery,
  headerOnce,
  PayloadError,
  type RegisteredSource,
  RepeatedHeaderError,
  SignatureError,
  type Translation,
} from '../sources';
import { HttpError } from '../errors';
import type { ApiMetrics } from '../metrics';
import { inSpanSync } from '../../tracing';

// The checks a delivery passes before anything is started, cheapest first: the content type and encoding (before a
// body byte is read), then each declared header's uniqueness, the signature, the body, the JSON, the adapter's schema.

/** Text from a request, made safe to log, echo or store: visible ASCII only (others become `?`), at most `max`. */
export function bounded(value: string, max: number): string {
  const visible = value.replace(/[^\x21-\x7e]/g, '?');
  return visible.length > max ? `${visible.slice(0, max - 3)}...` : visible;
}

/** The answer for an error an adapter or a header check throws; undefined for anything else (a bug: 500). */
export function answerFor(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof SignatureError) return new HttpError(401, 'invalid_signature', err.message);
  if (err instanceof RepeatedHeaderError) {
    return new HttpError(400, 'repeated_header', err.message, { header: err.header });
  }
  if (err instanceof PayloadError) return new HttpError(400, 'invalid_payload', err.message, { field: err.field });
  return undefined;
}

/** The metric reason of a refused delivery: the answer's code, or the signature check that failed. */
export function reasonOf(err: unknown, answer: HttpError): string {
  return err instanceof SignatureError ? `signature_${err.reason}` : answer.code;
}

/** Rejects anything that is not JSON before a single body byte is read. (The app's error handler counts 415s.) */
export function requireJson(metrics: ApiMetrics) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    try {
      const type = headerOnce(req.headersDistinct, 'content-type');
      if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
        next(new HttpError(415, 'unsupported_media_type', 'send the webhook as Content-Type: application/json'));
        return;
      }
      // Present but blank is not identity: only an absent header or "identity" says the body is the signed bytes.
      const encoding = headerOnce(req.headersDistinct, 'content-encoding')?.toLowerCase() ?? '';
      if (req.headersDistinct['content-encoding'] && encoding !== 'identity') {
        const shown = encoding ? bounded(encoding, 64) : '(empty)';
        next(new HttpError(415, 'unsupported_encoding', `Content-Encoding ${shown} is not accepted; send identity`));
        return;
      }
      next();
    } catch (err) {
      const answer = answerFor(err);
      if (answer) {
        const source = String(req.params.source);
        metrics.webhooks.inc({ source, event_type: 'unknown', outcome: 'rejected', reason: answer.code });
      }
      next(answer ?? err);
    }
  };
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Verifies and translates one delivery. Throws what answerFor() maps to a 4xx (a signature, header or payload
 * problem); anything else it throws is a bug.
 */
export function verifiedTranslation(name: string, source: RegisteredSource, delivery: Delivery): Translation {
  const { adapter, secrets, singleHeaders } = source;
  // Whatever the adapter reads, every header its scheme is declared with must be unambiguous.
  for (const header of singleHeaders) headerOnce(delivery.headers, header);
  inSpanSync('verify signature', { 'switchyard.source': name }, () => adapter.verify(delivery, secrets));
  if (delivery.rawBody.length === 0) throw new HttpError(400, 'empty_body', 'body is empty');
  return adapter.translate(parseJson(delivery.rawBody), delivery);
}
