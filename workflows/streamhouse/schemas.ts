import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';
import type { ArgSpec } from '../../src/core/command.js';
import { probeFailureFinding } from '../../src/core/probe.js';
import { countsText, sortFindings, type Finding } from '../../src/core/report.js';
import { evaluateRules, type Rule } from '../../src/core/rule.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import * as correct from './corrections.js';
import { SECTION } from './corrections.js';
import { listText } from './format.js';
import {
  MAX_SUBJECTS,
  PROBES,
  isNotFound,
  observeSchemas,
  type SchemaObservations,
  type SubjectObservation,
} from './observe.js';
import { failureTitle, probeFailureFindings, ranProbe } from './probe-findings.js';

/** Schema-registry subject names (`orders-value`, `com.acme.Order`). */
export const SUBJECT_ARG: ArgSpec = {
  name: 'subject',
  description: 'schema registry subject',
  required: false,
  pattern: /^[A-Za-z0-9._:-]{1,255}$/,
};

/** The level that applies to a subject: its own, else the global one. */
function effectiveLevel(d: SubjectObservation, global: string | undefined): { level?: string; from: string } {
  if (d.compatibility.ok && d.compatibility.value !== undefined)
    return { level: d.compatibility.value, from: 'subject' };
  return { level: global, from: 'global' };
}

function globalLevel(obs: SchemaObservations): string | undefined {
  return obs.globalCompatibility.ok ? obs.globalCompatibility.value : undefined;
}

function versionsText(versions: readonly number[]): string {
  if (versions.length === 0) return 'no versions';
  const sorted = [...versions].sort((a, b) => a - b);
  return sorted.length === 1 ? `v${sorted[0]}` : `v${sorted[0]}–v${sorted[sorted.length - 1]} (${sorted.length})`;
}

const registryListed: Rule<SchemaObservations> = {
  code: 'streamhouse.schemas.subjects',
  title: 'Schema registry subjects',
  okTitle: 'Schema registry answers',
  section: SECTION.schemas,
  nextStep: 'Check the registry routes under /schemas.',
  runbookCorrection: correct.SCHEMAS,
  correctionWhen: 'always',
  evaluate(obs) {
    const global = globalLevel(obs);
    const readable = obs.details.filter((d) => d.versions.ok);
    if (obs.subject === undefined && !obs.subjects.ok) return null;
    if (obs.subject !== undefined && readable.length === 0) return null;
    const items = readable.map((d) => {
      const versions = d.versions.ok ? versionsText(d.versions.value) : '';
      const latest = d.latest.ok
        ? `latest id ${d.latest.value.id}, ${d.latest.value.schemaType ?? 'AVRO'}`
        : 'latest unreadable';
      const { level, from } = effectiveLevel(d, global);
      return `${d.subject} ${versions} (${latest}), ${level ?? 'compatibility unknown'}${level ? ` from ${from}` : ''}`;
    });
    const total = obs.subjects.ok ? obs.subjects.value.length : readable.length;
    const cut = obs.subject === undefined && total > MAX_SUBJECTS ? ` (first ${MAX_SUBJECTS} read)` : '';
    const globalText = global ? `global compatibility ${global}` : 'global compatibility unknown';
    if (total === 0) {
      return { severity: 'ok', evidence: `no subject registered for this organization; ${globalText}` };
    }
    return {
      severity: 'ok',
      evidence: `${total} subject${total === 1 ? '' : 's'}${cut}; ${globalText}: ${listText(items, 10)}`,
    };
  },
};

const subjectMissing: Rule<SchemaObservations> = {
  code: 'streamhouse.schemas.subject-not-found',
  title: 'Subject not found in the schema registry',
  okTitle: 'Subject exists',
  section: SECTION.schemas,
  nextStep:
    'Check the subject name (usually `<topic>-value` or `<topic>-key`) and the organization: subjects are per ' +
    'organization, and the bot asks as the configured organizationId. Producers must register a schema before ' +
    'sending with schema validation.',
  runbookCorrection: correct.SCHEMAS,
  evaluate(obs) {
    if (obs.subject === undefined) return null;
    const d = obs.details[0];
    if (!d) return null;
    if (d.versions.ok) return { severity: 'ok', evidence: `${d.subject} has ${versionsText(d.versions.value)}` };
    if (!isNotFound(d.versions.error)) return null;
    return { severity: 'warning', evidence: `GET /schemas/subjects/${d.subject}/versions → 404 (error_code 40401)` };
  },
};

const compatibilityNone: Rule<SchemaObservations> = {
  code: 'streamhouse.schemas.compatibility-none',
  title: 'Schema compatibility checks are off',
  okTitle: 'Compatibility checks are on',
  section: SECTION.schemas,
  nextStep:
    'With NONE, any new schema is accepted and existing consumers may fail to read new messages. Unless this is ' +
    'deliberate, set a level again: `PUT /schemas/config/{subject}` with `{"compatibility":"BACKWARD"}` (header ' +
    '`x-organization-id`) — a manual step.',
  runbookCorrection: correct.SCHEMAS,
  evaluate(obs) {
    const global = globalLevel(obs);
    const readable = obs.details.filter((d) => d.compatibility.ok);
    if (readable.length === 0 && global === undefined) return null;
    const none = readable.filter((d) => effectiveLevel(d, global).level?.toUpperCase() === 'NONE');
    const globalNone = global?.toUpperCase() === 'NONE';
    if (none.length === 0 && !globalNone) {
      return { severity: 'ok', evidence: `no subject at NONE; global ${global ?? 'unknown'}` };
    }
    const parts = none.map((d) => `${d.subject} (${effectiveLevel(d, global).from})`);
    if (globalNone) parts.unshift('the global level');
    return { severity: 'warning', evidence: `compatibility NONE on ${listText(parts, 10)}` };
  },
};

export const schemaRules: readonly Rule<SchemaObservations>[] = [subjectMissing, registryListed, compatibilityNone];

/** Per-subject read failures other than "subject not found" (that one is a rule). */
function subjectFailures(obs: SchemaObservations, target: string): Finding[] {
  const out: Finding[] = [];
  for (const d of obs.details) {
    const failed = [d.versions, d.latest, d.compatibility].find((p) => !p.ok && !isNotFound(p.error));
    if (failed && !failed.ok) {
      out.push(
        probeFailureFinding(
          'streamhouse.probe.schema-subject',
          failureTitle('The schema registry of', target, `subject ${d.subject}`, failed.error),
          failed.error,
          SECTION.schemas,
        ),
      );
    }
  }
  return out;
}

/** `/streamhouse schemas [subject]`. */
export const schemasWorkflow: Workflow<StreamhouseClients> = {
  id: 'schemas',
  title: 'Streamhouse schema registry',
  description: 'Lists schema registry subjects with their versions and compatibility levels (one subject if given).',
  args: [SUBJECT_ARG],
  async run(ctx: WorkflowContext<StreamhouseClients>): Promise<WorkflowResult> {
    const subject = ctx.args.subject;
    const obs = await observeSchemas(ctx.clients, ctx.clock.now(), ctx.signal, subject);
    const registry = probeFailureFindings(
      'The schema registry of',
      ctx.target,
      [
        ...(subject === undefined ? [ranProbe('schema-subjects', PROBES.subjects, obs.subjects)] : []),
        ranProbe('schema-config', PROBES.globalCompatibility, obs.globalCompatibility),
      ],
      'schema-registry',
      SECTION.schemas,
    );
    const findings = sortFindings([
      ...registry,
      ...subjectFailures(obs, ctx.target),
      ...evaluateRules(schemaRules, obs, ctx.clock.now()),
    ]);
    const count = obs.subjects.ok ? `${obs.subjects.value.length} subjects` : 'Subjects unknown';
    return { findings, summary: `${subject !== undefined ? subject : count}; ${countsText(findings)}` };
  },
};
