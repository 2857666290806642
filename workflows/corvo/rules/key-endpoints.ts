/** The runbook's "Key Diagnostic Endpoints": is `/api/v1/metrics` a valid Prometheus exposition. */
import { formatNumber } from '../../../src/core/format.js';
import { KEY_ENDPOINTS } from '../sections.js';
import { isMultiRaft, readMetrics, readRaftGroups } from '../signals.js';
import { MULTI_RAFT_CORRECTION } from './corrections.js';
import type { CorvoRule } from './helpers.js';

const n = formatNumber;

export const keyEndpointRules: readonly CorvoRule[] = [
  {
    code: 'corvo.metrics.invalid-exposition',
    title: 'Corvo serves an invalid Prometheus exposition',
    okTitle: 'Metrics exposition valid',
    section: KEY_ENDPOINTS,
    nextStep:
      'Prometheus rejects the whole scrape when one line is invalid, so dashboards and alerts on Corvo metrics are ' +
      'blind. Alert on `up == 0` for this job meanwhile; the bot reads the affected values from ' +
      '`/api/v1/cluster/status` per raft group.',
    runbookCorrection: MULTI_RAFT_CORRECTION,
    evaluate(obs) {
      const expo = readMetrics(obs);
      if (!expo) return null;
      if (expo.problems.length === 0) {
        return { severity: 'ok', evidence: `${n(expo.families.size)} metric families parsed, no invalid line` };
      }
      const multi = isMultiRaft(obs);
      const sample = expo.problems.slice(0, 2).join('; ');
      const nil = expo.problems.some((p) => p.includes('<nil>'));
      const groups = readRaftGroups(obs);
      return {
        severity: 'warning',
        evidence:
          `${n(expo.problems.length)} unparseable line${expo.problems.length === 1 ? '' : 's'} in /api/v1/metrics: ${sample}` +
          (multi
            ? ` — Corvo runs multi-raft (${n(groups?.length ?? 0)} groups): its metrics handler prints \`<nil>\` for the apply queue and drops per-group values`
            : nil
              ? ' — `<nil>` values are what Corvo prints under `--raft-shards > 1`'
              : ''),
        runbookCorrection: multi || nil ? MULTI_RAFT_CORRECTION : undefined,
      };
    },
  },
];
