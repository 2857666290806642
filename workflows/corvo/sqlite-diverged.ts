import type { CorvoClients } from '../../integrations/corvo/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Workflow } from '../../src/core/workflow.js';
import { manualSteps } from './manual-steps.js';
import { observeCorvo, type CorvoObservations } from './observe.js';
import { diagnose } from './diagnose.js';
import { REBUILD_SQLITE_CORRECTION } from './rules/corrections.js';
import { perGroup, type CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { SECTIONS } from './sections.js';
import { isMultiRaft, nodeOfGroupMember, readLeadership, readRaftGroups } from './signals.js';

const n = formatNumber;

/** The rebuild's foreign-key failure (real-systems.md Corvo item 5a). */
const FK_787 = /FOREIGN KEY constraint failed \(787\)/;

const FK_787_NEXT_STEP =
  'The rebuild failed on a foreign-key error (787): Corvo replays job errors before their jobs, and whether that ' +
  'fails depends on which pooled SQLite connection the rebuild lands on — not on anything to fix first. Request the ' +
  'rebuild again (`/corvo rebuild-sqlite`, needs approval): a retry may succeed. Pebble is untouched.';

const rebuildHistory: CorvoRule = {
  code: 'corvo.sqlite.rebuild-history',
  title: 'The last SQLite rebuild failed',
  okTitle: 'No failed SQLite rebuild',
  section: SECTIONS.sqliteDiverged,
  nextStep:
    "Read the leader's logs around the rebuild's start time for the cause; rebuild again once it is fixed (the " +
    'rebuild offered with `corvo.sqlite.mirror-dropped` needs approval).',
  evaluate(obs) {
    let title: string | undefined;
    let fkError = false;
    const part = perGroup(readRaftGroups(obs), (s) => {
      const r = s.sqlite_rebuild;
      if (!r) return undefined;
      if (!r.ran) {
        title ??= 'No SQLite rebuild since process start';
        return { severity: 'ok', text: 'sqlite_rebuild.ran false: no rebuild since process start' };
      }
      const when = r.last_started_at ? ` started ${r.last_started_at}` : '';
      const took = r.last_duration_ms !== undefined ? `, took ${n(r.last_duration_ms)} ms` : '';
      if (r.last_success === false) {
        if (r.last_error && FK_787.test(r.last_error)) fkError = true;
        return { severity: 'warning', text: `last rebuild${when}${took}, failed: ${r.last_error ?? 'no error text'}` };
      }
      title = `Last SQLite rebuild succeeded${r.last_started_at ? ` (${r.last_started_at})` : ''}`;
      return { severity: 'ok', text: `last rebuild${when}${took}, succeeded` };
    });
    if (!part) return null;
    return {
      severity: part.severity,
      title: part.severity === 'ok' ? title : undefined,
      evidence: `${part.text} — from the cluster status, whose rebuild history restarts with the process`,
      nextStep: fkError ? FK_787_NEXT_STEP : undefined,
      runbookCorrection: fkError ? REBUILD_SQLITE_CORRECTION : undefined,
    };
  },
};

/** The checks of "SQLite Diverged from Pebble", in report order. */
export const sqliteDivergedRules: readonly CorvoRule[] = [
  reuseRule('corvo.sqlite.mirror-dropped'),
  reuseRule('corvo.sqlite.mirror-lag'),
  rebuildHistory,
];

/** Each node has its own mirror, and the API rebuilds only the leader's: say which node this was and what else to check. */
function nodeScopeNote(obs: CorvoObservations): string {
  const lead = readLeadership(obs);
  const groups = readRaftGroups(obs);
  const self = lead.selfId ?? 'the probed node';
  const others = [
    ...new Set(
      (groups ?? [])
        .flatMap((g) => (g.status.nodes ?? []).map((node) => nodeOfGroupMember(node.id, isMultiRaft(obs))))
        .filter((id) => id !== lead.selfId),
    ),
  ];
  const role =
    lead.isLeader === true ? 'the leader' : lead.isLeader === false ? 'a follower' : 'a node of unknown role';
  return (
    `This checked ${self} (${role}) only: every node keeps its own SQLite mirror. ` +
    (others.length > 0 ? `Check ${others.join(', ')} with a target pointing at each (\`--target\`). ` : '') +
    "`rebuild-sqlite` rebuilds only the leader's mirror (followers proxy it to the leader); a follower's mirror is " +
    'fixed by restarting or re-joining that node (below).'
  );
}

export const sqliteDivergedWorkflow: Workflow<CorvoClients> = {
  id: 'sqlite-diverged',
  title: 'Corvo SQLite mirror',
  description: "Checks the SQLite mirror (dropped updates, lag, last rebuild) and offers the leader's rebuild.",
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus', 'metrics']);
    const scope = obs.clusterStatus.ok || obs.healthz.ok ? [nodeScopeNote(obs)] : [];
    return diagnose(ctx, { obs, rules: sqliteDivergedRules, notes: [...scope, manualSteps.recoverNode] });
  },
};
