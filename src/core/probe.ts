/**
 * Probes: the calls a workflow makes to read its target. A system lists them once in a {@link ProbeTable}; the
 * core runs them in parallel ({@link runProbes}), never throwing, and says which failed and whether anything
 * answered at all ({@link failedProbes}, {@link nothingAnswered}).
 */
import type { Finding } from './report.js';
import { inconclusiveFinding } from './target-error.js';

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

/** The error of a probe that was not run (the workflow did not ask for it): no rule reads it, no finding reports it. */
export class ProbeSkipped extends Error {
  constructor() {
    super('probe not run');
    this.name = 'ProbeSkipped';
  }
}

/** The result of a probe that was not run. */
export const SKIPPED_PROBE: ProbeResult<never> = { ok: false, error: new ProbeSkipped() };

/** True for the result of a probe that was not run. */
export function isSkipped(result: ProbeResult<unknown>): boolean {
  return !result.ok && result.error instanceof ProbeSkipped;
}

/** The value a {@link ProbeResult} carries. */
export type ProbeValue<R> = R extends ProbeResult<infer T> ? T : never;

/** One probe of a system, as data: what it reads and the call that reads it. */
export interface ProbeSpec<Ctx, T> {
  /** The endpoint as the operator would type it (`GET /api/v1/cluster/status`). */
  readonly endpoint: string;
  /** What it reads, in words ("the cluster status"). */
  readonly what: string;
  call(ctx: Ctx, signal: AbortSignal): Promise<T>;
}

/** Every probe of a system, by the observation it fills: `Obs` maps names to {@link ProbeResult}s. */
export type ProbeTable<Ctx, Obs> = {
  readonly [K in keyof Obs]: ProbeSpec<Ctx, ProbeValue<Obs[K]>>;
};

/**
 * Runs the probes of a table in parallel (all of them unless `only` names some; the others are
 * {@link SKIPPED_PROBE}). Never throws: a failed probe is `{ ok: false, error }`.
 */
export async function runProbes<Ctx, Obs>(
  table: ProbeTable<Ctx, Obs>,
  ctx: Ctx,
  signal: AbortSignal,
  only?: readonly (keyof Obs)[],
): Promise<Obs> {
  const names = Object.keys(table) as (keyof Obs)[];
  const results = await Promise.all(
    names.map((name) =>
      only && !only.includes(name) ? Promise.resolve(SKIPPED_PROBE) : settle(() => table[name].call(ctx, signal)),
    ),
  );
  return Object.fromEntries(names.map((name, i) => [name, results[i]])) as Obs;
}

/** A probe that ran and got no answer. */
export interface FailedProbe {
  readonly name: string;
  readonly endpoint: string;
  readonly what: string;
  readonly error: unknown;
}

/** A probe that ran, with its result (a workflow's own probes are passed to {@link failedProbes} in this shape). */
export interface RanProbe {
  readonly name: string;
  readonly endpoint: string;
  readonly what: string;
  readonly result: ProbeResult<unknown>;
}

/** The probes of a table that ran (skipped ones left out), then the extras, in table order. */
export function probesRun<Ctx, Obs>(
  table: ProbeTable<Ctx, Obs>,
  obs: Obs,
  extras: readonly RanProbe[] = [],
): RanProbe[] {
  const ran: RanProbe[] = [];
  for (const name of Object.keys(table) as (keyof Obs & string)[]) {
    const result = obs[name] as ProbeResult<unknown>;
    if (isSkipped(result)) continue;
    ran.push({ name, endpoint: table[name].endpoint, what: table[name].what, result });
  }
  return [...ran, ...extras];
}

/**
 * The probes that ran and failed. `isAnswer` lets a system count an error status as an answer (Corvo's `/healthz`
 * 503 UNHEALTHY is a verdict, not a failed probe).
 */
export function failedProbes(
  ran: readonly RanProbe[],
  isAnswer: (probe: RanProbe, error: unknown) => boolean = () => false,
): FailedProbe[] {
  const failed: FailedProbe[] = [];
  for (const probe of ran) {
    if (probe.result.ok || isAnswer(probe, probe.result.error)) continue;
    failed.push({ name: probe.name, endpoint: probe.endpoint, what: probe.what, error: probe.result.error });
  }
  return failed;
}

/**
 * True when probes ran and none got an answer: the report then says so in one line (the target is unreachable)
 * instead of one line per probe, and no rule is evaluated.
 */
export function nothingAnswered(ran: readonly RanProbe[], failed: readonly FailedProbe[]): boolean {
  return ran.length > 0 && failed.length === ran.length;
}

/**
 * The inconclusive finding of probes that got no answer: the TargetError's chat-safe reason as evidence, and
 * {@link Finding.probeFailure} set so the engine knows the target did not answer (not "the check said so").
 */
export function probeFailureFinding(code: string, title: string, error: unknown, section?: string): Finding {
  return { ...inconclusiveFinding(code, title, error, section), probeFailure: true };
}

/** True for a finding that says a probe got no answer. */
export function isProbeFailure(finding: Finding): boolean {
  return finding.probeFailure === true;
}
