import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { tracer } from '../../tracing/index';
import { safeText } from '../../redaction';
import { fetchThrough } from './fetch';
import { send } from './send';
import { shownCall } from './shown';
import type { DownstreamClientOptions, DownstreamSystem, HttpMethod, RequestOptions, Response } from './types';

// The one HTTP client layer every activity, and the API's reads, talk to third-party systems through. It owns
// timeouts, auth, idempotency keys, the rate and throttle gates, and the classification of answers into Temporal
// failures; Temporal owns the retries. ./send.ts is one call; ./gate.ts the wait for its turn; ./answers.ts and
// ./shown.ts how answers are read and calls are named.

export { FailureType } from '../../contracts/failures';
export { parseRetryAfter } from './answers';
export { clientFailureOf } from './fetch';
export {
  type CallObserver,
  type DownstreamClientOptions,
  type DownstreamFailureDetails,
  type DownstreamSystem,
  downstreamDetails,
  type HttpMethod,
  type RequestOptions,
  type Response,
} from './types';

/** An HTTP client bound to one third-party system. */
export function createDownstreamClient(system: DownstreamSystem, options: DownstreamClientOptions) {
  /**
   * One CLIENT span per call, `HTTP <method> <system>`, from the gate to the answer (the event `sent` marks when it
   * left); its W3C `traceparent` goes out with the request, so a provider that traces joins the trace. The span
   * names the path as written (`/contacts/by-email/{email}`) and holds no email: spans are not encrypted.
   */
  function request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions<T> = {}): Promise<Response<T>> {
    const secretUrl = system.secretUrl ?? !system.apiKey;
    const shown = secretUrl ? undefined : shownCall(system.baseUrl, path, opts.query);
    return tracer().startActiveSpan(
      `HTTP ${method} ${system.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'switchyard.system': system.name,
          'http.request.method': method,
          ...(shown ? { 'url.path': shown.route, 'http.route': shown.route, 'url.full': shown.full } : {}),
        },
      },
      async (span) => {
        try {
          const answer = await send(system, options, method, path, opts);
          span.setAttribute('http.response.status_code', answer.status);
          return answer;
        } catch (err) {
          const status = (err as { details?: Array<{ status?: number }> }).details?.[0]?.status;
          if (status) span.setAttribute('http.response.status_code', status);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: safeText(err instanceof Error ? err.message : String(err)),
          });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  /** The same calls as `fetch`, for a vendor SDK that takes one (./fetch.ts): reads only. */
  const fetch = fetchThrough(request);

  return { system: system.name, baseUrl: system.baseUrl, request, fetch };
}

export type DownstreamClient = ReturnType<typeof createDownstreamClient>;
