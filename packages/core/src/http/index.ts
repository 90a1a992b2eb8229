// HTTP: a fetch-based client with auth, timeouts, TLS on by default, retries of idempotent calls, coded errors without secrets.
export { createHttpClient } from './client';
export type {
  HttpAuth,
  HttpClient,
  HttpEndpoint,
  HttpMethod,
  HttpRequestOptions,
  HttpResponse,
} from './client';
export { HttpError } from './errors';
export type { HttpFailure, HttpFailureDetails } from './errors';
