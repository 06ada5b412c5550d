/**
 * Per-request options for client-node 1.4.0 API calls. Its generated clients have no timeout of
 * their own; a request to a hung apiserver or kubelet would block a reconcile (and the single
 * worker) forever. This middleware gives the request an AbortSignal that fires after `ms`.
 */
import { Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from "@kubernetes/client-node";

const of = <T>(value: T): Observable<T> => new Observable(Promise.resolve(value));

/**
 * Options that abort the request after `ms` milliseconds, or when `signal` aborts (the call then
 * rejects with an AbortError, which the controller treats as transient). Chains onto `options`.
 */
export function withTimeout(ms: number, options?: ConfigurationOptions, signal?: AbortSignal): ConfigurationOptions {
  const timeout = {
    pre: (request: RequestContext) => {
      request.setSignal(signal ? AbortSignal.any([AbortSignal.timeout(ms), signal]) : AbortSignal.timeout(ms));
      return of(request);
    },
    post: (response: ResponseContext) => of(response),
  };
  return { ...options, middleware: [...(options?.middleware ?? []), timeout], middlewareMergeStrategy: "append" };
}
