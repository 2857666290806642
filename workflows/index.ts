import type { Remediation } from '../src/core/remediation.js';
import type { Workflow } from '../src/core/workflow.js';
import { corvoWorkflows } from './corvo/index.js';
import { corvoRemediations } from './corvo/remediations.js';

/** Every system's runbook: its workflows and its fixes, one line per system. */
export const runbooks: Readonly<
  Record<
    string,
    { readonly workflows: readonly Workflow<never>[]; readonly remediations: readonly Remediation<never>[] }
  >
> = {
  corvo: { workflows: corvoWorkflows, remediations: corvoRemediations },
};
