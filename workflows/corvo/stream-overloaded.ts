import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { observeCorvo } from './observe.js';
import { diagnose } from './diagnose.js';
import type { CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';

/**
 * The checks of "Stream Overloaded", in report order. The health rules already read both caps and carry the
 * correction about `corvo_lifecycle_overload_total`; store overloads are the other source of RESOURCE_EXHAUSTED.
 */
export const streamOverloadedRules: readonly CorvoRule[] = [
  reuseRule('corvo.stream.saturation'),
  reuseRule('corvo.stream.open-streams'),
  reuseRule('corvo.apply.overload'),
  reuseRule('corvo.raft.no-leader'),
];

const STREAM_MITIGATIONS_NOTE =
  'Mitigations (flags, restart needed; defaults as the runbook gives them): raise `--stream-max-inflight` ' +
  '(default 2048) when frames in flight reach it; raise `--stream-max-open` (default 4096, times the shard count) ' +
  'when workers get RESOURCE_EXHAUSTED "too many open lifecycle streams"; lower `--stream-max-fps` (default 500) ' +
  'to throttle fast clients; raise `--idle-fetch-sleep` (default 100ms) to cut empty-fetch pressure. Workers ' +
  'stream to the leader only: on a follower these counters say nothing about the leader.';

export const streamOverloadedWorkflow: Workflow<CorvoClients> = {
  id: 'stream-overloaded',
  title: 'Corvo lifecycle streams',
  description: 'Open streams and frames in flight against their caps, where RESOURCE_EXHAUSTED comes from, the flags.',
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus', 'metrics']);
    return diagnose(ctx, { obs, rules: streamOverloadedRules, notes: [STREAM_MITIGATIONS_NOTE] });
  },
};
