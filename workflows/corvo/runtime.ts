import type { CorvoClients, Runtime } from '../../integrations/corvo/index.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import type { Severity } from '../../src/core/report.js';
import type { Workflow } from '../../src/core/workflow.js';
import { observeCorvo, probeRuntime, type CorvoObservations, type ProbeResult } from './observe.js';
import { diagnose } from './diagnose.js';
import type { CorvoRule, FindingDraft } from './rules/helpers.js';
import { SECTIONS } from './sections.js';

/** The core observations plus `GET /api/v1/debug/runtime`. */
export interface RuntimeObservations extends CorvoObservations {
  readonly runtime: ProbeResult<Runtime>;
}

/**
 * The runbook gives no thresholds for the Go runtime: these are the bot's, for a warning only (never critical), and
 * every evidence line shows the value against them.
 */
export const RUNTIME_THRESHOLDS = {
  /** Beyond this, suspect a goroutine leak (streams and requests that never finish). */
  goroutines: 10_000,
  /** Heap in use; tune to the host's memory. */
  heapInuseBytes: 4 * 1024 ** 3,
  /** Go's stop-the-world pauses are normally well under 1 ms; long ones delay Raft heartbeats. */
  gcPauseP99Ns: 5_000_000,
  /** Share of CPU time spent in the kernel (syscalls, fsync, network). */
  sysCpuShare: 0.5,
  /** Below this much CPU time the shares say nothing (a fresh process), seconds. */
  minCpuSeconds: 60,
} as const;

const n = formatNumber;

/** `183500800` → `175 MiB`. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${n(Math.round(value * 10) / 10)} ${units[unit]}`;
}

/** A runtime rule reads only the runtime answer; null when it failed (reported as inconclusive). */
function runtimeRule(
  rule: Omit<CorvoRule<RuntimeObservations>, 'evaluate'>,
  evaluate: (rt: Runtime) => FindingDraft,
): CorvoRule<RuntimeObservations> {
  return { ...rule, evaluate: (obs) => (obs.runtime.ok ? evaluate(obs.runtime.value) : null) };
}

const warnIf = (bad: boolean): Severity => (bad ? 'warning' : 'ok');

const goroutines = runtimeRule(
  {
    code: 'corvo.runtime.goroutines',
    title: 'Many goroutines',
    okTitle: 'Goroutines',
    section: SECTIONS.runtime,
    nextStep:
      'A growing count suggests a leak (streams or requests that never finish): compare with open streams ' +
      '(`/corvo stream-overloaded`) and take a goroutine dump (`/corvo profiling`).',
  },
  (rt) => {
    const bad = rt.goroutines > RUNTIME_THRESHOLDS.goroutines;
    return {
      severity: warnIf(bad),
      title: `${n(rt.goroutines)} goroutines${bad ? ' — possible leak' : ''}`,
      evidence:
        `${n(rt.goroutines)} goroutines, stack in use ${formatBytes(rt.stack_inuse_bytes)} — warning above ` +
        n(RUNTIME_THRESHOLDS.goroutines),
    };
  },
);

const heap = runtimeRule(
  {
    code: 'corvo.runtime.heap',
    title: 'Large heap',
    okTitle: 'Heap in use',
    section: SECTIONS.runtime,
    nextStep:
      'Take a heap profile (`/corvo profiling`) to see what holds memory; a large backlog (apply queue, SQLite ' +
      'mirror queue) holds memory too.',
  },
  (rt) => {
    const bad = rt.heap_inuse_bytes > RUNTIME_THRESHOLDS.heapInuseBytes;
    return {
      severity: warnIf(bad),
      title: `Heap in use ${formatBytes(rt.heap_inuse_bytes)}`,
      evidence:
        `heap in use ${formatBytes(rt.heap_inuse_bytes)} — warning above ` +
        `${formatBytes(RUNTIME_THRESHOLDS.heapInuseBytes)} (the bot's default; size it to the host's memory)`,
    };
  },
);

const gcPause = runtimeRule(
  {
    code: 'corvo.runtime.gc-pause',
    title: 'Long GC pauses',
    okTitle: 'GC pause p99',
    section: SECTIONS.runtime,
    nextStep:
      'Long stop-the-world pauses delay Raft heartbeats (elections, see `/corvo leader-instability`) and every ' +
      'request: reduce heap churn (heap profile via `/corvo profiling`) or give the process more CPU.',
  },
  (rt) => {
    const seconds = rt.gc_pause_p99_ns / 1e9;
    const bad = rt.gc_pause_p99_ns > RUNTIME_THRESHOLDS.gcPauseP99Ns;
    return {
      severity: warnIf(bad),
      title: `GC pause p99 ${formatSeconds(seconds)}`,
      evidence: `GC pause p99 ${formatSeconds(seconds)} — warning above ${formatSeconds(RUNTIME_THRESHOLDS.gcPauseP99Ns / 1e9)}`,
    };
  },
);

const cpu = runtimeRule(
  {
    code: 'corvo.runtime.cpu',
    title: 'CPU use looks constrained',
    okTitle: 'CPU time',
    section: SECTIONS.runtime,
    nextStep:
      "With GOMAXPROCS 1, Raft, applies and HTTP share one core: raise the container's CPU limit. A high kernel " +
      'share points at syscalls (fsync with `--durable`, network): check disk latency. For where the time goes, ' +
      'take a CPU profile (`/corvo profiling`).',
  },
  (rt) => {
    const user = rt.cpu_user_ns / 1e9;
    const sys = rt.cpu_sys_ns / 1e9;
    const total = user + sys;
    const share = total > 0 ? sys / total : 0;
    const judged = total >= RUNTIME_THRESHOLDS.minCpuSeconds;
    const sysHigh = judged && share > RUNTIME_THRESHOLDS.sysCpuShare;
    const oneProc = rt.gomaxprocs <= 1;
    return {
      severity: warnIf(sysHigh || oneProc),
      title: `GOMAXPROCS ${n(rt.gomaxprocs)}, kernel ${(share * 100).toFixed(1)} % of CPU time`,
      evidence:
        `CPU time since process start: user ${formatSeconds(Math.round(user))}, system ${formatSeconds(Math.round(sys))} ` +
        `(kernel ${(share * 100).toFixed(1)} % — warning above ${RUNTIME_THRESHOLDS.sysCpuShare * 100} %` +
        `${judged ? '' : `, not judged below ${formatSeconds(RUNTIME_THRESHOLDS.minCpuSeconds)} of CPU`}); ` +
        `GOMAXPROCS ${n(rt.gomaxprocs)} — warning at 1. One read cannot give a utilisation rate.`,
    };
  },
);

/** The runtime checks, warnings only, in report order. */
export const runtimeRules: readonly CorvoRule<RuntimeObservations>[] = [goroutines, heap, gcPause, cpu];

export const runtimeWorkflow: Workflow<CorvoClients> = {
  id: 'runtime',
  title: 'Corvo Go runtime',
  description: 'Go runtime of the node: goroutines, heap, GC pause p99, CPU time (warnings only).',
  async run(ctx) {
    const [core, runtime] = await Promise.all([
      observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz']),
      probeRuntime(ctx.clients.corvo, ctx.signal),
    ]);
    return diagnose(ctx, {
      obs: { ...core, runtime },
      rules: runtimeRules,
      extras: [{ name: 'runtime', endpoint: 'GET /api/v1/debug/runtime', what: 'runtime', result: runtime }],
    });
  },
};
