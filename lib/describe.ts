/** The kind of a value, for error messages: `null`, `undefined`, its `typeof`, or its class tag (`Object`, `Array`, `Map` …). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  // The tag works across realms (an ArrayBuffer from an iframe or a vm context).
  return Object.prototype.toString.call(value).slice(8, -1);
}

/**
 * How error messages name a value a caller gave: its kind, with its value where that is short and
 * safe to show. Objects and long strings are not printed: they may hold credentials.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length <= 40 ? `the string "${value}"` : 'a string';
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    default:
      return kindOf(value);
  }
}

/** The message of something thrown, which need not be an Error. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
