/** The runbook's "Critical Metrics to Monitor › Stream Health": lifecycle frames in flight and open streams. */
import { formatNumber } from '../../../src/core/format.js';
import type { Severity } from '../../../src/core/report.js';
import { STREAM } from '../sections.js';
import { readMetric } from '../signals.js';
import { LIFECYCLE_OVERLOAD_CORRECTION } from './corrections.js';
import type { CorvoRule } from './helpers.js';
import { THRESHOLDS } from './thresholds.js';

const n = formatNumber;

function ratioSeverity(value: number, max: number | undefined, warnRatio: number): Severity {
  if (max === undefined || max <= 0) return 'ok';
  if (value >= max) return 'critical';
  return value >= max * warnRatio ? 'warning' : 'ok';
}

export const streamHealthRules: readonly CorvoRule[] = [
  {
    code: 'corvo.stream.saturation',
    title: 'Lifecycle streams saturated (frames in flight)',
    okTitle: 'Lifecycle stream frames within limits',
    section: STREAM,
    nextStep:
      'Raise `--stream-max-inflight` (default 2048), throttle fast clients with `--stream-max-fps` (default 500), ' +
      'and raise `--idle-fetch-sleep` to cut empty-fetch pressure.',
    runbookCorrection: LIFECYCLE_OVERLOAD_CORRECTION,
    evaluate(obs) {
      const inflight = readMetric(obs, 'corvo_lifecycle_frames_inflight');
      if (inflight === undefined) return null;
      const max = readMetric(obs, 'corvo_lifecycle_frames_max_inflight');
      const overloads = readMetric(obs, 'corvo_lifecycle_overload_total');
      let severity = ratioSeverity(inflight, max, THRESHOLDS.streamWarnRatio);
      if (overloads !== undefined && overloads > 0 && severity === 'ok') severity = 'warning';
      const of = max !== undefined ? ` / ${n(max)}` : '';
      const overloadText =
        overloads === undefined
          ? ''
          : overloads > 0
            ? `; corvo_lifecycle_overload_total ${n(overloads)} (unexpected: no CLI flag enables it — this build sets an acquire timeout)`
            : '; corvo_lifecycle_overload_total 0 (always 0 with the CLI’s stream config)';
      return {
        severity,
        evidence: `frames in flight ${n(inflight)}${of} — warning from ${THRESHOLDS.streamWarnRatio * 100} % of max${overloadText}`,
        runbookCorrection: LIFECYCLE_OVERLOAD_CORRECTION,
      };
    },
  },

  {
    code: 'corvo.stream.open-streams',
    title: 'Open lifecycle streams near the cap (RESOURCE_EXHAUSTED)',
    okTitle: 'Open lifecycle streams within the cap',
    section: STREAM,
    nextStep:
      'Past the cap, new worker streams get RESOURCE_EXHAUSTED "too many open lifecycle streams". Raise ' +
      '`--stream-max-open` (default 4096, multiplied by the shard count) or find the client that leaks streams.',
    runbookCorrection: LIFECYCLE_OVERLOAD_CORRECTION,
    evaluate(obs) {
      const open = readMetric(obs, 'corvo_lifecycle_streams_open');
      if (open === undefined) return null;
      const max = readMetric(obs, 'corvo_lifecycle_streams_max');
      const severity = ratioSeverity(open, max, THRESHOLDS.streamWarnRatio);
      const idle = readMetric(obs, 'corvo_lifecycle_idle_fetch_total');
      return {
        severity,
        evidence:
          `open streams ${n(open)}${max !== undefined ? ` / ${n(max)}` : ''} — warning from ` +
          `${THRESHOLDS.streamWarnRatio * 100} % of the cap` +
          (idle !== undefined ? `; ${n(idle)} empty fetches since start (high = workers polling empty queues)` : ''),
      };
    },
  },
];
