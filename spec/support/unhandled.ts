import { config } from 'rxjs';

/**
 * Runs `body` with RxJS's `config.onUnhandledError` collecting what is reported, waits one
 * macrotask (where RxJS and the machine report), and puts the previous handler back whatever
 * happened. Resolves with everything reported.
 */
export async function collectUnhandled(body: (reported: readonly unknown[]) => void | Promise<void>): Promise<unknown[]> {
  const reported: unknown[] = [];
  const previous = config.onUnhandledError;
  config.onUnhandledError = (error) => reported.push(error);
  try {
    await body(reported);
    await new Promise((resolve) => setTimeout(resolve, 0));
  } finally {
    config.onUnhandledError = previous;
  }
  return reported;
}
