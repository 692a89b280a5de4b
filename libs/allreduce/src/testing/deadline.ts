// Collectives hang rather than fail, so tests await them under a deadline.

/** Resolves or rejects like `p`, or rejects after `ms` milliseconds naming `what`. */
export function within<T>(p: Promise<T>, ms: number, what = "operation"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Settles every promise, failing if any of them is still pending after `ms` milliseconds. */
export function settleWithin<T>(ps: Promise<T>[], ms: number, what = "collective"): Promise<PromiseSettledResult<T>[]> {
  return within(Promise.allSettled(ps), ms, what);
}
