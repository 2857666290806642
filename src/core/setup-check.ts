/**
 * The setup check (`npm run check`, issue 17): each setting checked against the system it names, one line each.
 * Integrations produce {@link CheckLine}s; `src/main/check.ts` prints them.
 */
import { redactSecrets } from './redact.js';

/** OK: verified against the live system. WARN: works, or cannot be known, but needs a look. FAIL: broken. */
export type CheckStatus = 'OK' | 'WARN' | 'FAIL';

/** One checked thing. Never holds a secret (every line is also passed through the redaction when printed). */
export interface CheckLine {
  readonly status: CheckStatus;
  /** Stable dotted name: `slack.auth`, `targets.corvo.prod`, `redis.maxmemory-policy`. */
  readonly name: string;
  /** What was found, or why it could not be known. */
  readonly detail: string;
  /** What to change, naming the setting (env variable or config key); absent on OK. */
  readonly fix?: string;
}

/** An OK line: verified against the live system. */
export const ok = (name: string, detail: string): CheckLine => ({ status: 'OK', name, detail });
/** A WARN line: works, or cannot be known from here; says why. */
export const warn = (name: string, detail: string, fix?: string): CheckLine => ({
  status: 'WARN',
  name,
  detail,
  ...(fix ? { fix } : {}),
});
/** A FAIL line: broken; `fix` names the setting. */
export const fail = (name: string, detail: string, fix: string): CheckLine => ({ status: 'FAIL', name, detail, fix });

/** A probe's error as one short line: its message's first line, bounded (never a stack). */
export function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string } | undefined;
  // Redacted before the cap: a cut through a password or key leaves a head that no redaction recognises.
  const text = redactSecrets((e?.message ?? String(err)).split('\n')[0]!).slice(0, 200);
  return text || e?.name || 'unknown error';
}

/** A URL as a check line may show it: without user and password (a URL can carry credentials). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/** Runs `probe` with a deadline; a probe that takes longer is a failed probe. */
export async function withDeadline<T>(ms: number, what: string, probe: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      probe(),
      new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** `OK   name  detail` / `FAIL name  detail — fix: …`, one per line, then the summary. */
export function renderCheckReport(lines: readonly CheckLine[]): string {
  const width = Math.min(40, Math.max(0, ...lines.map((l) => l.name.length)));
  const body = lines.map(
    (l) => `${l.status.padEnd(4)} ${l.name.padEnd(width)}  ${l.detail}${l.fix ? ` — fix: ${l.fix}` : ''}`,
  );
  return [...body, summarizeChecks(lines)].join('\n');
}

/** `setup check: 12 OK, 2 WARN, 1 FAIL`. */
export function summarizeChecks(lines: readonly CheckLine[]): string {
  const n = (s: CheckStatus) => lines.filter((l) => l.status === s).length;
  const verdict = n('FAIL') > 0 ? 'broken settings above' : n('WARN') > 0 ? 'works; see WARN lines' : 'all good';
  return `setup check: ${n('OK')} OK, ${n('WARN')} WARN, ${n('FAIL')} FAIL (${verdict})`;
}
