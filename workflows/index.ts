import type { Remediation } from '../src/core/remediation.js';
import type { Workflow } from '../src/core/workflow.js';
import { corvoWorkflows } from './corvo/index.js';
import { corvoRemediations } from './corvo/remediations.js';
import { kyrodbWorkflows } from './kyrodb/index.js';
import { m4Workflows } from './m4/index.js';
import { m4Remediations } from './m4/remediations.js';
import { streamhouseWorkflows } from './streamhouse/index.js';
import { streamhouseRemediations } from './streamhouse/remediations.js';
import { tryitnowWorkflows } from './tryitnow/index.js';
import { tryitnowRemediations } from './tryitnow/remediations.js';

type Runbook = { readonly workflows: readonly Workflow<never>[]; readonly remediations: readonly Remediation<never>[] };

/** Every system's runbook: its workflows and its fixes, one line per system. */
export const runbooks: Readonly<Record<string, Runbook>> = {
  corvo: { workflows: corvoWorkflows, remediations: corvoRemediations },
  kyrodb: { workflows: kyrodbWorkflows, remediations: [] },
  m4: { workflows: m4Workflows, remediations: m4Remediations },
  streamhouse: { workflows: streamhouseWorkflows, remediations: streamhouseRemediations },
  tryitnow: { workflows: tryitnowWorkflows, remediations: tryitnowRemediations },
};
