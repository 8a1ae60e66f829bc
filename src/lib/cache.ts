/**
 * A value that is costly to compute (a count over every lead) and may be a little old. After `ttlMs`
 * the next caller starts a refresh but still gets the previous value at once, so no page view waits
 * for the count; only the very first one does. A failed refresh is forgotten (the next call
 * retries) and the last good value kept. Per instance: each app process keeps its own.
 */
export function staleWhileRevalidate<T>(ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let value: { at: number; data: T } | null = null;
  let refreshing: Promise<T> | null = null;
  const refresh = () => {
    refreshing ??= compute()
      .then((data) => {
        value = { at: Date.now(), data };
        return data;
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  return () => {
    if (!value) return refresh();
    if (Date.now() - value.at > ttlMs) refresh().catch(() => {});
    return Promise.resolve(value.data);
  };
}
