// GET (or HEAD) that follows redirects the way a miner's HTTP client does for a CDN: at most
// MAX_REDIRECTS hops, http(s) targets only, no loops. Every hop's body is discarded before the next,
// and the final URL and the chain come back with the response.

import { request, type Dispatcher } from 'undici';

export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FollowedResponse {
  res: Dispatcher.ResponseData;
  /** The URL that answered (the requested one when there was no redirect). */
  finalUrl: string;
  /** Each redirect target, in order. */
  redirects: string[];
}

/** A redirect that was not followed: a loop, too many hops, or a target that is not http(s). */
export class RedirectError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly redirects: string[],
  ) {
    super(message);
    this.name = 'RedirectError';
  }
}

export type FollowOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: Dispatcher;
  method?: 'GET' | 'HEAD';
};

export async function requestFollowingRedirects(url: string, options: FollowOptions, maxRedirects = MAX_REDIRECTS): Promise<FollowedResponse> {
  const redirects: string[] = [];
  const seen = new Set([url]);
  let current = url;
  for (;;) {
    const res = await request(current, options);
    const location = header(res.headers, 'location');
    if (!REDIRECT_STATUSES.has(res.statusCode) || location === null) return { res, finalUrl: current, redirects };
    await discardBody(res.body);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new RedirectError(`HTTP ${res.statusCode} from ${current} redirects to an invalid location ${JSON.stringify(location)}; not followed`, res.statusCode, redirects);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new RedirectError(`HTTP ${res.statusCode} from ${current} redirects to ${next.href}, which is not http(s); not followed`, res.statusCode, redirects);
    }
    const chain = [url, ...redirects, next.href].join(' -> ');
    if (seen.has(next.href)) throw new RedirectError(`redirect loop: ${chain}`, res.statusCode, redirects);
    if (redirects.length >= maxRedirects) {
      throw new RedirectError(`more than ${maxRedirects} redirects: ${chain}; not followed further`, res.statusCode, redirects);
    }
    redirects.push(next.href);
    seen.add(next.href);
    current = next.href;
  }
}

/**
 * Lets a response body go without reading it. undici's body stream emits an 'error' when destroyed
 * (even after its end, e.g. an empty body), which would crash the process without a listener.
 */
export async function discardBody(body: Dispatcher.ResponseData['body']): Promise<void> {
  body.on('error', () => {});
  await body.dump({ limit: 64 * 1024 }).catch(() => {});
  if (!body.destroyed) body.destroy();
}

/** Stops reading a body at once (it may hold much more than wanted). */
export function abandonBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}
