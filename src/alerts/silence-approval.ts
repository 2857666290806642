import { z } from 'zod';
import type { SystemModule } from '../core/system.js';

/** The pseudo-system whose one fix is creating a silence that needs an approval (ids used in approval records). */
export const SILENCE_SYSTEM = 'alertmanager';
export const SILENCE_TARGET = 'silences';
export const SILENCE_REMEDIATION = 'create-silence';

/**
 * A silence that reaches beyond its group or lasts longer than `alerts.silences.maxDuration` goes through the
 * existing approval flow: this module gives the approval engine the step to run ("create this silence record") and
 * the words on its card. The engine keeps its rules: a second person approves, the request expires, and the step runs
 * exactly once. Wired in `src/main` next to the systems' own modules.
 */
export function createSilenceApprovalModule(create: (recordId: string) => Promise<string>): SystemModule {
  return {
    id: SILENCE_SYSTEM,
    displayName: 'Alertmanager',
    instanceSchema: z.object({}),
    createClients: () => ({}),
    workflows: [],
    remediations: [
      {
        id: SILENCE_REMEDIATION,
        title: 'Create silence',
        description: 'Creates an Alertmanager silence asked for in an incident thread',
        level: 'approval',
        destructive: false,
        params: [
          { name: 'silence', description: 'the silence record', required: true, pattern: /^sil_[0-9a-f]{1,64}$/ },
          { name: 'matchers', description: 'the matchers', required: true },
          { name: 'duration', description: 'how long', required: true },
          { name: 'why', description: 'why it needs an approval', required: true },
        ],
        describeCall: (p) => `POST /api/v2/silences (matchers ${p.matchers ?? '?'}; for ${p.duration ?? '?'})`,
        describeEffect: (p) =>
          `Silences every alert matching ${p.matchers ?? '?'} for ${p.duration ?? '?'}: ${p.why ?? 'needs an approval'}.`,
        async execute(ctx) {
          return { summary: await create(ctx.params.silence!) };
        },
      },
    ],
  };
}
