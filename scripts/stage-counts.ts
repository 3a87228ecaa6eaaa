// How scripts/test.ts reads the passed/failed counts from a stage's output.

/** Reads the counts a stage printed; `undefined` when it printed none that we know. */
export function count(output: string): { passed: number; failed: number; pending: number } | undefined {
  // eslint-disable-next-line no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  const sum = (re: RegExp): number => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  // mocha (a stage may run mocha more than once: each summary adds up)
  if (/^\s*\d+ passing\b/m.test(text) || /^\s*\d+ failing\b/m.test(text)) {
    return { passed: sum(/^\s*(\d+) passing\b/gm), failed: sum(/^\s*(\d+) failing\b/gm), pending: sum(/^\s*(\d+) pending\b/gm) };
  }
  // a closing "N passed, M failed" line (check:docs, other runtimes' runners)
  const closing = [...text.matchAll(/^\D*?(\d+) passed, (\d+) failed\b/gm)].at(-1);
  if (closing) return { passed: Number(closing[1]), failed: Number(closing[2]), pending: 0 };
  // check-package: one "ok  …" or "FAIL …" line per check
  const ok = text.match(/^ok {2}/gm)?.length ?? 0;
  const fail = text.match(/^FAIL /gm)?.length ?? 0;
  if (ok + fail > 0) return { passed: ok, failed: fail, pending: 0 };
  return undefined;
}
