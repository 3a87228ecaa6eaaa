/**
 * Hides credentials in a URL before it goes into an error message: the user name and password, and
 * the value of every query parameter (tokens travel there more often than not).
 * Works on unparseable input too, since bad URLs are exactly what ends up in error messages.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@')
    .replace(/([?&][^=&#]*=)[^&#]*/g, '$1***');
}
