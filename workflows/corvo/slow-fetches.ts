import type { CorvoClients } from '../../integrations/corvo/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Workflow } from '../../src/core/workflow.js';
import { fetchOverloadRule } from './apply-overloaded.js';
import { observeCorvo } from './observe.js';
import { diagnose } from './diagnose.js';
import type { CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { SECTIONS } from './sections.js';
import { readMetric, readPendingTotal } from './signals.js';

const n = formatNumber;

export const SLOW_FETCH_THRESHOLDS = {
  /** Share of stream frames that were empty fetches, while jobs are pending. */
  idleFetchRatio: 0.2,
} as const;

const idleFetches: CorvoRule = {
  code: 'corvo.fetch.idle',
  title: 'Workers mostly fetch nothing while jobs wait',
  okTitle: 'Empty fetches',
  section: SECTIONS.slowFetches,
  nextStep:
    'Workers poll queues that have nothing for them while jobs wait elsewhere: compare the queues they subscribe ' +
    'to with the queues holding pending jobs (`/corvo jobs-stuck-pending <queue>`). Each empty fetch makes the ' +
    'worker wait `--idle-fetch-sleep` (default 100ms) before the next one: lower it for faster pickup.',
  evaluate(obs) {
    const idle = readMetric(obs, 'corvo_lifecycle_idle_fetch_total');
    const frames = readMetric(obs, 'corvo_lifecycle_frames_total');
    if (idle === undefined) return null;
    const pending = readPendingTotal(obs);
    const share = frames !== undefined && frames > 0 ? idle / frames : undefined;
    const limit = SLOW_FETCH_THRESHOLDS.idleFetchRatio;
    const bad = share !== undefined && share > limit && pending !== undefined && pending > 0;
    const shareText =
      share !== undefined ? `${(share * 100).toFixed(1)} % of ${n(frames!)} stream frames` : 'share unknown';
    return {
      severity: bad ? 'warning' : 'ok',
      title: bad
        ? undefined
        : `Empty fetches: ${share !== undefined ? `${(share * 100).toFixed(1)} %` : n(idle)} of stream frames`,
      evidence:
        `${n(idle)} fetches returned no job since process start (${shareText})` +
        (pending !== undefined ? `; ${n(pending)} jobs pending now` : '') +
        ` — warning above ${limit * 100} % while jobs are pending (high with nothing pending just means idle workers)`,
    };
  },
};

/** The checks of "Slow Fetches / High Latency", in report order. */
export const slowFetchesRules: readonly CorvoRule[] = [
  reuseRule('corvo.apply.queue-time-p99'),
  { ...fetchOverloadRule, section: SECTIONS.slowFetches },
  idleFetches,
  reuseRule('corvo.apply.pressure'),
];

const TUNING_NOTE =
  'Tuning for lower latency (flags, restart needed; as the runbook gives them): `--idle-fetch-sleep 10ms` ' +
  '(default 100ms) for faster job pickup; `--fetch-poll-interval 10ms` (default 100ms) for faster unary fetch; ' +
  '`--stream-max-fps 0` removes the per-stream rate limit; `--apply-multi-mode indexed` makes one Raft commit ' +
  'for mixed ops. Each trades CPU and apply-queue load for latency: run `/corvo apply-overloaded` afterwards.';

export const slowFetchesWorkflow: Workflow<CorvoClients> = {
  id: 'slow-fetches',
  title: 'Corvo fetch latency',
  description: 'Apply queue-time p99, per-queue fetch overloads and empty fetches, with the latency tuning flags.',
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus', 'metrics', 'queues']);
    return diagnose(ctx, { obs, rules: slowFetchesRules, notes: [TUNING_NOTE] });
  },
};
