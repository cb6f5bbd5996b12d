import {
  type Delivery,
  type DistinctHeaders,
  headerOnce,
  PayloadError,
  type RegisteredSource,
  RepeatedHeaderError,
  SignatureError,
  type Translation,
} from '../sources';
import { HttpError } from '../errors';
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

/**
 * Refuses anything that is not JSON, before a single body byte is read: throws an HttpError (415) or, for a header
 * sent twice, a RepeatedHeaderError.
 */
export function contentProblem(headers: DistinctHeaders): void {
  const type = headerOnce(headers, 'content-type');
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send the webhook as Content-Type: application/json');
  }
  // Present but blank is not identity: only an absent header or "identity" says the body is the signed bytes.
  const encoding = headerOnce(headers, 'content-encoding')?.toLowerCase() ?? '';
  if (headers['content-encoding'] && encoding !== 'identity') {
    const shown = encoding ? bounded(encoding, 64) : '(empty)';
    throw new HttpError(415, 'unsupported_encoding', `Content-Encoding ${shown} is not accepted; send identity`);
  }
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
