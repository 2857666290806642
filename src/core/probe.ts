/** What one probe got: the answer, or why there is none. Probes never throw. */
export type ProbeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Runs one call as a probe: its answer, or `{ ok: false, error }`. Never throws. */
export async function settle<T>(call: () => Promise<T>): Promise<ProbeResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}
