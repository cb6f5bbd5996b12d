import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';
import getRawBody from 'raw-body';
import { bodyReadRefusal } from '../errors';

/**
 * The body as sent (never inflated: the signature is over these bytes), at most `limit` bytes, checked against its
 * Content-Length. A body that cannot be read rejects with the HttpError to answer, and only once the rest of the
 * request has been read off, so the answer never races bytes still arriving on a kept-alive connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    getRawBody(req, { length: req.headers['content-length'], limit }, (err, body) => {
      if (!err) return resolve(body);
      const refusal = bodyReadRefusal(err) ?? err;
      if (req.readableEnded || req.destroyed) return reject(refusal);
      finished(req, () => reject(refusal));
      req.resume();
    });
  });
}
