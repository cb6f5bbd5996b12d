import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { context, propagation, trace } from '@opentelemetry/api';
import { FailureType, failureTypeOfStatus, NON_RETRYABLE_TYPES } from '../../contracts/failures';
import { safeText } from '../../redaction';
import { throttleWindowMs } from '../throttle';
import { activityContext, heartbeating, maxDelayFor } from './activity';
import { differencesOf, isKeyReused, isProgrammingError, messageOf, parseRetryAfter } from './answers';
import { passGate } from './gate';
import { filled, shownPathOf, urlRedactor, withoutQuotedValues } from './shown';
import type {
  DownstreamClientOptions,
  DownstreamFailureDetails,
  DownstreamSystem,
  HttpMethod,
  RequestOptions,
  Response,
} from './types';

// One call: build the request, pass the gate, exchange it, and read the answer into a result or a Temporal failure
// whose type says whether a retry can help.

/** One call as it goes out, and how its failures name it. */
interface Call {
  system: DownstreamSystem;
  options: DownstreamClientOptions;
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  /** What errors may say about where the call went: the path as written, unless the URL is a credential. */
  shownPath?: string;
  where: string;
  /** Text the other side wrote, made fit for failures, logs, spans and alerts. */
  scrub(text: string): string;
  details(status: number, responseMessage?: string, retryAfterMs?: number): DownstreamFailureDetails;
  ctx: Context | undefined;
}

/** Header names lower-cased, so the client's own headers replace a caller's whatever its spelling. */
function lowerCased(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function prepare<T>(
  system: DownstreamSystem,
  options: DownstreamClientOptions,
  method: HttpMethod,
  path: string,
  opts: RequestOptions<T>,
): Call {
  const secretUrl = system.secretUrl ?? !(system.apiKey ?? opts.bearer);
  const baseUrl = opts.baseUrl ?? system.baseUrl;
  const shownPath = secretUrl ? undefined : shownPathOf(baseUrl, path.split('?')[0] ?? '');
  if (method !== 'GET' && !opts.idempotencyKey) {
    throw new Error(
      `${system.name}: ${method}${shownPath === undefined ? '' : ` ${shownPath}`} needs an idempotency key`,
    );
  }
  const url = new URL(baseUrl.replace(/\/$/, '') + filled(system.name, path, opts.params));
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  // Text the other side wrote (its answer, a network error) enters failures, logs, spans and alerts: the URL's
  // secret parts out, emails hashed, and bounded.
  const redactUrl = secretUrl ? urlRedactor(url) : (text: string) => text;
  const headers: Record<string, string> = { ...lowerCased(opts.headers), accept: 'application/json' };
  const bearer = opts.bearer ?? system.apiKey;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (opts.body !== undefined || opts.jsonText !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  propagation.inject(context.active(), headers);
  return {
    system,
    options,
    method,
    url,
    headers,
    shownPath,
    where: shownPath === undefined ? `${system.name} ${method}` : `${system.name} ${method} ${shownPath}`,
    scrub: (text) => safeText(redactUrl(text)),
    details: (status, responseMessage, retryAfterMs) => ({
      system: system.name,
      method,
      ...(shownPath === undefined ? {} : { path: shownPath }),
      status,
      responseMessage,
      retryAfterMs,
    }),
    ctx: activityContext(),
  };
}

/** Sends the request and reads the answer's text; a call that got no answer fails with its cause, classified. */
async function exchange(
  call: Call,
  body: { value: unknown } | { text: string },
  signals: { caller?: AbortSignal; own?: AbortSignal; cancelled?: AbortSignal },
  answered: () => void,
): Promise<[globalThis.Response, string]> {
  const { system, options, method, ctx, where } = call;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = signals.caller ? AbortSignal.any([timeout, signals.caller]) : timeout;
  const started = Date.now();
  try {
    const result = await heartbeating(ctx, async () => {
      try {
        // Serialised here, so a body JSON cannot hold (a cycle, a BigInt) is a programming error like any other.
        const sent = 'text' in body ? body.text : body.value === undefined ? undefined : JSON.stringify(body.value);
        const r = await (options.fetch ?? fetch)(call.url, { method, headers: call.headers, body: sent, signal });
        return [r, await r.text()] as [globalThis.Response, string];
      } finally {
        answered();
      }
    });
    options.onCall?.(system.name, method, result[0].status, Date.now() - started);
    return result;
  } catch (err) {
    options.onCall?.(system.name, method, 0, Date.now() - started);
    if (signals.own?.aborted) throw err;
    if (signals.cancelled?.aborted) throw signals.cancelled.reason;
    if (timeout.aborted) {
      throw ApplicationFailure.retryable(
        `${where} timed out after ${options.timeoutMs} ms`,
        FailureType.timeout,
        call.details(0),
      );
    }
    if (isProgrammingError(err)) {
      const reason = `${err.name}: ${call.scrub(withoutQuotedValues(err.message))}`;
      throw ApplicationFailure.create({
        message: `${where} could not be sent (${reason}): a bug on our side, not retried`,
        type: FailureType.programming,
        nonRetryable: true,
        details: [call.details(0, reason)],
      });
    }
    const cause = call.scrub(
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err),
    );
    throw ApplicationFailure.retryable(`${where} failed: ${cause}`, FailureType.network, call.details(0, cause));
  }
}

/** The answer as a result, or as the failure its status means (a throttle also closes the system's shared window). */
async function readAnswer<T>(
  call: Call,
  res: globalThis.Response,
  text: string,
  opts: RequestOptions<T>,
): Promise<Response<T>> {
  const { system, options, ctx, where } = call;
  opts.onAnswer?.(res.status, res.headers);
  options.gate?.observe(system.name, res.headers, res.status);
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  const type = failureTypeOfStatus(res.status, retryAfter !== undefined);
  if (type !== FailureType.throttled) options.gate?.unthrottled(system.name);
  let body: unknown = text;
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      throw ApplicationFailure.retryable(
        `${where} answered ${res.status} with invalid JSON`,
        FailureType.protocol,
        call.details(res.status),
      );
    }
  }
  if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) {
    return { status: res.status, body: body as T, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  if (opts.onKeyReused && isKeyReused(res.status, body)) {
    const existing = await opts.onKeyReused();
    if (existing !== undefined) {
      ctx?.log.warn(
        `${where}: key ${opts.idempotencyKey} was already used with another body; using what it created instead`,
        {
          system: system.name,
          idempotencyKey: opts.idempotencyKey,
          existingId: (existing as { id?: unknown } | null)?.id,
          differences: differencesOf(opts.body, existing),
        },
      );
      return { status: res.status, body: existing, replayed: true };
    }
  }

  const responseMessage = call.scrub(messageOf(body, res.statusText));
  const message = `${where} answered ${res.status}: ${responseMessage}`;
  if (type === FailureType.throttled) {
    // The provider's window this answer names, where its connector declares them: "(X-Rate-Limit-Problem: minute,
    // the organisation's 60 calls a minute)".
    const named = options.gate?.windowNamed(system.name, res.headers);
    // Every caller of the system waits the whole window the server gave (its limit is per credential, not per
    // caller); this attempt's retry may come sooner, and is then held back at the gate without a call.
    const window = options.gate?.throttled(system.name, retryAfter) ?? throttleWindowMs(retryAfter);
    const delay = Math.min(window, maxDelayFor(ctx, options));
    options.onThrottle?.(system.name, window);
    await options.gate?.report(system.name, window, `answered ${res.status}: wait ${window} ms`);
    throw ApplicationFailure.create({
      message: named ? `${message} (${named})` : message,
      type,
      nextRetryDelay: delay,
      details: [call.details(res.status, responseMessage, delay)],
    });
  }
  const failure = call.details(res.status, responseMessage);
  throw NON_RETRYABLE_TYPES.includes(type)
    ? ApplicationFailure.nonRetryable(message, type, failure)
    : ApplicationFailure.retryable(message, type, failure);
}

/** One call to `system`, from the gate to the answer. */
export async function send<T>(
  system: DownstreamSystem,
  options: DownstreamClientOptions,
  method: HttpMethod,
  path: string,
  opts: RequestOptions<T>,
): Promise<Response<T>> {
  const call = prepare(system, options, method, path, opts);
  // The activity's cancellation (its workflow cancelled it, or the worker is shutting down past its grace time)
  // aborts the wait and the call: the attempt ends now, and its retry carries the same idempotency key.
  const cancelled = call.ctx?.cancellationSignal;
  const callerSignals = [opts.signal, cancelled].filter((s): s is AbortSignal => s !== undefined);
  const caller = callerSignals.length > 1 ? AbortSignal.any(callerSignals) : callerSignals[0];
  const answered = await passGate(system.name, options, {
    ctx: call.ctx,
    method,
    path: call.shownPath,
    signal: caller,
  });
  trace.getActiveSpan()?.addEvent('sent');
  const body = opts.jsonText !== undefined ? { text: opts.jsonText } : { value: opts.body };
  const [res, text] = await exchange(call, body, { caller, own: opts.signal, cancelled }, answered);
  return readAnswer(call, res, text, opts);
}
