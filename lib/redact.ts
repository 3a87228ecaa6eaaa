/**
 * Hides credentials in a URL before it goes into an error message: the user name and password, and
 * the value of every query parameter (tokens travel there more often than not).
 * Works on unparseable input too, since bad URLs are exactly what ends up in error messages.
 */
export function redactUrl(url: string): string {
  return url
    // Greedy up to the last '@' before the path: a password may itself contain '@'.
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@')
    .replace(/([?&][^=&#]*=)[^&#]*/g, '$1***');
}
