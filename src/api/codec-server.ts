import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createDataConverter, ENCRYPTED_ENCODING, encodingOf, MissingPayloadKeyError } from '../temporal/codec';
import { AuthFailureLimiter } from './admin';
import { HttpError } from './errors';

// Temporal's codec-server protocol, for the Web UI and the CLI: POST …/encode and …/decode take and answer Payloads
// as protobuf JSON (bytes as base64); only the last path segment says which. Served on the operator listener only.

export interface CodecDeps {
  config: Config;
  logger: Logger;
}

const PayloadsProto = temporal.api.common.v1.Payloads;

function sameSecret(presented: string, token: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}

function payloadsOf(body: unknown): Payload[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request', 'send {"payloads": [...]} as protobuf JSON');
  }
  try {
    return PayloadsProto.fromObject(body as Record<string, unknown>).payloads;
  } catch (err) {
    throw new HttpError(400, 'invalid_request', `not Payloads protobuf JSON: ${(err as Error).message}`);
  }
}

/**
 * The codec server under /codec, behind `Authorization: Bearer <CODEC_TOKEN>`, with CORS for the Web UI's origin only.
 * Undefined (404) without a token. With the public development key and token, the token may also be the path segment
 * before encode/decode (`/codec/<token>/decode`), because the UI of `temporal server start-dev` cannot send a header.
 * The token is checked before the body is read. Every encode and decode is audited with the caller and the number of
 * payloads.
 */
export function codecRouter(deps: CodecDeps): Router | undefined {
  const { config, logger } = deps;
  const codec = config.codec;
  if (!codec) return undefined;
  const codecs = createDataConverter(config.payloads.keys).payloadCodecs ?? [];
  const failures = new AuthFailureLimiter();
  const router = express.Router();

  // Set on every answer to the allowed origin, errors included, so the UI can read why it was refused.
  router.use((req, res, next) => {
    const origin = req.header('origin');
    if (origin === undefined) return next();
    if (origin !== codec.corsOrigin) {
      if (req.method === 'OPTIONS') return res.status(204).end();
      return next(new HttpError(403, 'origin_not_allowed', 'this origin may not call the codec server'));
    }
    res.set({
      'Access-Control-Allow-Origin': codec.corsOrigin,
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    });
    if (req.method === 'OPTIONS') return res.status(204).end();
    next();
  });
  // Authenticates before anything reads the body: an unauthenticated caller gets its 401 without costing a parse.
  const authenticate =
    (action: 'encode' | 'decode', fromPath: boolean) => (req: Request, res: Response, next: NextFunction) => {
      const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const waitMs = failures.retryAfterMs(ip);
      if (waitMs > 0) {
        const seconds = String(Math.max(1, Math.ceil(waitMs / 1000)));
        return next(
          new HttpError(
            429,
            'too_many_failed_authentications',
            'too many failed authentications',
            {},
            {
              'Retry-After': seconds,
            },
          ),
        );
      }
      // A token in the path ends up in access logs and browser history: accepted only for the public development one.
      if (fromPath && !codec.development) return next(new HttpError(404, 'not_found', 'no such route'));
      const fromUrl = req.params.token;
      const presented = fromPath
        ? typeof fromUrl === 'string'
          ? fromUrl
          : ''
        : (/^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1] ?? '');
      if (!sameSecret(presented, codec.token)) {
        failures.fail(ip);
        logger.warn({ audit: 'codec', action, ip, outcome: 'refused' }, 'codec call refused: bad or missing token');
        res.set('WWW-Authenticate', 'Bearer realm="switchyard-codec"');
        return next(new HttpError(401, 'unauthorized', 'send Authorization: Bearer <CODEC_TOKEN>'));
      }
      const namespace = req.header('x-namespace') ?? config.temporal.namespace;
      if (namespace !== config.temporal.namespace) {
        return next(
          new HttpError(400, 'wrong_namespace', `this codec server serves namespace ${config.temporal.namespace}`),
        );
      }
      next();
    };
  const parse = express.json({ limit: '4mb' });

  const handle = (action: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const namespace = config.temporal.namespace;
    let payloads = payloadsOf(req.body);
    const encrypted = payloads.filter((p) => encodingOf(p) === ENCRYPTED_ENCODING).length;
    try {
      if (action === 'encode') for (const c of codecs) payloads = await c.encode(payloads);
      else for (const c of [...codecs].reverse()) payloads = await c.decode(payloads);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.warn({ audit: 'codec', action, actor: codec.tokenName, ip, namespace, err: message }, 'codec call failed');
      throw new HttpError(400, err instanceof MissingPayloadKeyError ? 'unknown_key' : 'undecodable', message);
    }
    // Encodes are audited as decodes are: an encode makes ciphertext a caller can hand to Temporal as ours.
    const after = payloads.filter((p) => encodingOf(p) === ENCRYPTED_ENCODING).length;
    logger.info(
      {
        audit: 'codec',
        action,
        actor: codec.tokenName,
        ip,
        origin: req.header('origin'),
        namespace,
        payloads: payloads.length,
        ...(action === 'decode' ? { decrypted: encrypted } : { encrypted: after }),
      },
      `codec ${action}`,
    );
    res.json(PayloadsProto.fromObject({ payloads }).toJSON());
  };

  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
      fn(req, res).catch(next);
  for (const action of ['encode', 'decode'] as const) {
    router.post(`/${action}`, authenticate(action, false), parse, wrap(handle(action)));
    router.post(`/:token/${action}`, authenticate(action, true), parse, wrap(handle(action)));
  }
  return router;
}
