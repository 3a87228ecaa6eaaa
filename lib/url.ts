import { describeValue } from './describe.js';

/** What each accepted scheme becomes: http(s) is the same server reached as ws(s). */
const SCHEMES: Readonly<Record<string, string>> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };

/**
 * Hides credentials in a URL before it goes into an error message: the user name and password, and
 * the value of every query parameter (tokens travel there more often than not).
 * Works on unparseable input too, since bad URLs are exactly what ends up in error messages.
 */
export function redactUrl(url: string): string {
  return (
    url
      // Greedy up to the last '@' before the path: a password may itself contain '@'.
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@')
      .replace(/([?&][^=&#]*=)[^&#]*/g, '$1***')
  );
}

/**
 * Checks a static URL (or one a provider returned) and turns http(s) into ws(s); a relative URL
 * resolves against the page's location where there is one. Throws a SyntaxError or TypeError whose
 * message names the (redacted) URL.
 */
export function normalizeUrl(input: unknown): string {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new TypeError(`url must be a string, a URL or a function returning one, got ${describeValue(input)}`);
  }
  const text = String(input);
  // The common case, a ws(s) URL with no fragment, is checked without building a URL object (it is
  // kept as given anyway): one less object for every machine made.
  if (/^wss?:\/\/[^#]*$/i.test(text) && typeof URL.canParse === 'function' && URL.canParse(text)) return text;
  let parsed: URL;
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    parsed = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    // No `cause`: the parser's error keeps the whole URL, credentials included, in `input`.
    throw new SyntaxError(`url "${redactUrl(text)}" is not a valid URL`);
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined) {
    throw new SyntaxError(`url "${redactUrl(text)}" has scheme "${parsed.protocol}"; use ws:, wss:, http: or https:`);
  }
  if (parsed.hash !== '') {
    throw new SyntaxError(`url "${redactUrl(text)}" has a fragment (#…), which WebSocket URLs cannot have`);
  }
  if (scheme === parsed.protocol && /^wss?:\/\//i.test(text)) return text; // as given, when nothing needs changing
  parsed.protocol = scheme;
  return parsed.href;
}
