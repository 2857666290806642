/**
 * The runbooks' durations as named thresholds (issue 14). Each system lists the durations its runbook states
 * ({@link ThresholdSpec}: a name, the runbook's value, where it comes from); `thresholds:` in the config overrides
 * them by name. Two kinds: `held` — a condition that must hold that long across consecutive runs before its finding
 * takes its severity (pending until then; measured from the finding history, so only by schedules), and `value` — an
 * age the target itself reports, compared in one run (Corvo's `time() - last_promote > 10`).
 */

/** One duration of a runbook. */
export interface ThresholdSpec {
  /** Kebab-case, unique within the system; the key under `thresholds.<system>` (`circuit-breaker-open`). */
  readonly name: string;
  /** The runbook's value, ms. */
  readonly defaultMs: number;
  /** `held`: across consecutive runs (pending until then); `value`: an age read in one run. */
  readonly kind: 'held' | 'value';
  /** Where the runbook says it, verbatim enough to find it (`Escalation: circuit breaker open >1hr → P0`). */
  readonly source: string;
}

/** Resolves a system's threshold by name: the configured override, else the runbook's value. */
export type ThresholdLookup = (name: string) => number;

/** Configured overrides: `thresholds.<system>.<name>` in ms. */
export type ThresholdOverrides = Readonly<Record<string, Readonly<Record<string, number>> | undefined>>;

/**
 * The lookup of one system: its configured override, else the runbook's value; an unknown name throws (a rule that
 * names a threshold its system does not list is a programming error, caught by the system's tests).
 */
export function createThresholdLookup(
  system: string,
  specs: readonly ThresholdSpec[],
  overrides: ThresholdOverrides = {},
): ThresholdLookup {
  return (name) => {
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new Error(`${system} has no threshold "${name}"`);
    return overrides[system]?.[name] ?? spec.defaultMs;
  };
}

/**
 * Problems of a `thresholds:` block against the systems' lists: unknown systems and unknown names, each with the
 * list of known ones. Empty when every name is known.
 */
export function checkThresholdNames(
  overrides: ThresholdOverrides,
  systems: readonly { readonly id: string; readonly thresholds?: readonly ThresholdSpec[] }[],
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  for (const [system, names] of Object.entries(overrides)) {
    const module = systems.find((s) => s.id === system);
    const known = module?.thresholds ?? [];
    if (!module || known.length === 0) {
      const withAny = systems.filter((s) => (s.thresholds ?? []).length > 0).map((s) => s.id);
      problems.push({
        path: ['thresholds', system],
        message: `no thresholds for "${system}" (systems with thresholds: ${withAny.join(', ')})`,
      });
      continue;
    }
    for (const name of Object.keys(names ?? {})) {
      if (!known.some((s) => s.name === name)) {
        problems.push({
          path: ['thresholds', system, name],
          message: `unknown threshold "${name}" for ${system} (one of: ${known.map((s) => s.name).join(', ')})`,
        });
      }
    }
  }
  return problems;
}
