import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { Secret } from '../core/secret.js';
import { checkThresholdNames, type ThresholdSpec } from '../core/threshold.js';
import { checklistNamesOf } from '../core/checklist.js';
import type { TargetIntegration } from '../core/system.js';
import type { Workflow } from '../core/workflow.js';
import { DurationSchema } from './duration.js';
import { ConfigError } from './env.js';
import { parseMatchValue } from './parse-match-value.js';

const DAY_MS = 86_400_000;

/** A principal as written in the config: `slack:U…`, `slack-group:S…`, `teams:<aad-object-id>`. */
export const PrincipalSchema = z
  .string()
  .regex(
    /^(slack|slack-group|teams|terminal):[A-Za-z0-9._-]+$/,
    'must look like slack:U…, slack-group:S…, teams:<aad-object-id> or terminal:<name>',
  );

/** A named destination for alert threads (`channels.<name>`). */
export const ChannelSchema = z
  .object({
    /** Slack channel id (`C…`). */
    slack: z
      .string()
      .regex(/^[CGD][A-Z0-9]+$/, 'must be a Slack channel id such as C0INCIDENTS')
      .optional(),
    /** Teams channel; filled in by the Teams integration. */
    teams: z
      .object({
        conversationId: z.string().min(1),
        serviceUrl: z.url(),
        tenantId: z.string().min(1).optional(),
      })
      .optional(),
  })
  .refine((c) => c.slack !== undefined || c.teams !== undefined, 'a channel needs a slack or a teams destination');

/** Who may approve what (`approvals`). */
export const ApprovalsSchema = z.object({
  /** Principals allowed to approve destructive steps. */
  approvers: z.array(PrincipalSchema).default([]),
  /** The requester may not approve their own request. Default true. */
  requireDistinctApprover: z.boolean().default(true),
  /** How long a request stays open. Default 15m. */
  ttl: DurationSchema.default(15 * 60_000),
  /** Per-remediation level override: `approval` (second person) or `confirm` (requester confirms). */
  levels: z.record(z.string(), z.enum(['approval', 'confirm'])).default({}),
  /** Distinct approvers a step needs before it runs, by step (remediation) id. Default 1 for every step. */
  quorum: z.record(z.string(), z.number().int().min(1).max(10)).default({}),
});

/**
 * `identities`: pins a chat user to a PagerDuty user (`{ pagerduty: "P…" }`) or to an email (`{ email }`), over
 * the match by profile email. Keys are principals (`slack:U…`, `teams:<aad-object-id>`); never display names.
 */
export const IdentitiesSchema = z.record(
  z.string().regex(/^(slack|teams):[A-Za-z0-9._-]+$/, 'must look like slack:U… or teams:<aad-object-id>'),
  z.union([
    z.strictObject({ pagerduty: z.string().regex(/^P[A-Z0-9]{1,20}$/, 'must be a PagerDuty user id (P…)') }),
    z.strictObject({ email: z.email() }),
  ]),
);

/** `alerts.silences`: silences created from incident threads. */
export const SilencesSchema = z.object({
  /** Longest silence created without an approval. Default 24h. */
  maxDuration: DurationSchema.default(24 * 3600_000),
});

/** The Slack side of the bot (`slack`). */
export const SlackConfigSchema = z.object({
  /**
   * Workspaces (`T…`) or Enterprise Grid organisations (`E…`) the bot serves. Empty (the default): any workspace
   * whose requests carry the app's valid signature. Set it when the app could be installed in more than one
   * workspace: a command from any other is refused readably and nothing runs.
   */
  teamIds: z
    .array(z.string().regex(/^[TE][A-Z0-9]{2,49}$/, 'must be a Slack team id (T…) or enterprise id (E…)'))
    .default([]),
});

/** A `match` value: equal, or a regular expression written `/…/flags`. */
const MatchValueSchema = z.string().superRefine((value, ctx) => {
  try {
    parseMatchValue(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

const AlertRuleSchema = z.object({
  /** Keys: `title`, `service`, `priority`, `urgency` (PagerDuty), any label (Alertmanager). Values may be `/regex/`. */
  match: z.record(z.string(), MatchValueSchema),
  system: z.string(),
  target: z.string().optional(),
  channel: z.string().optional(),
  workflow: z.string().optional(),
});

/** Storm control (`alerts.storm`): past `threshold` new threads per channel in `window`, one summary instead. */
export const StormSchema = z.object({
  /** New incident threads per channel per window before the summary takes over. Default 10. */
  threshold: z.number().int().min(1).max(1000).default(10),
  /** Length of a storm window. Default 1m. */
  window: DurationSchema.default(60_000),
});

/** Pacing of every message the bot posts (`pacing`), per channel, shared by all processes through Redis. */
export const PacingSchema = z.object({
  /** Sustained messages per second per channel. Default 1 (Slack's chat.postMessage limit). */
  messagesPerSecond: z.number().positive().max(100).default(1),
  /** Messages that may go at once after a quiet spell. Default 3. */
  burst: z.number().int().min(1).max(100).default(3),
});

/**
 * `retention`: how long rows are kept before the worker's daily prune deletes them (issue 16). Rows still needed are
 * never pruned whatever their age: open approvals, unresolved incidents and what belongs to them, active silences,
 * pending incident actions, unprocessed alert events, chat posts of a live incident thread.
 */
export const RetentionSchema = z.strictObject({
  /** Each run's report (findings) and the fixes offered on it. Default 30d. */
  reports: DurationSchema.default(30 * DAY_MS),
  /** Processed alert events (the webhook dedupe record and audit of what arrived). Default 90d. */
  alertEvents: DurationSchema.default(90 * DAY_MS),
  /**
   * The audit trail: invocations, approvals with their events and votes, incident actions, silences, and resolved
   * incidents with their threads and notes. Default 400d.
   */
  audit: DurationSchema.default(400 * DAY_MS),
  /** Chat posts the bot remembers (retry dedupe), Teams cards, storm windows. Default 30d. */
  chatPosts: DurationSchema.default(30 * DAY_MS),
  /** The chat user -> email / PagerDuty user cache (looked up again when needed). Default 30d. */
  identities: DurationSchema.default(30 * DAY_MS),
  /** Note text typed in incident threads, kept until sent. Default 7d. */
  noteDrafts: DurationSchema.default(7 * DAY_MS),
  /**
   * Finding history: each run's findings (finding_runs) and the per-finding first/last seen rows (finding_history)
   * not seen again for this long. Default 90d (a weekly check compares with the same day of last week).
   */
  findingHistory: DurationSchema.default(90 * DAY_MS),
  /** When the prune runs: a cron pattern, UTC. Default `17 3 * * *` (daily, 03:17). */
  pattern: z
    .string()
    .regex(/^\S+( \S+){4,5}$/, 'must be a cron pattern such as "17 3 * * *"')
    .default('17 3 * * *'),
  /** Rows deleted per statement: small batches hold short locks. Default 1000. */
  batchSize: z.number().int().min(1).max(50_000).default(1000),
});

/** A time zone the runtime knows (IANA name such as `Europe/Berlin`, or `UTC`). */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * One entry of `schedules:` (issue 14): a workflow or a runbook checklist run against one target, into one
 * channel, by `every:` or a cron `pattern:` in a time zone. The name is also its BullMQ job scheduler's id
 * (`schedule:<name>`).
 */
export const ScheduleSchema = z
  .strictObject({
    /** Unique; lowercase letters, digits, - and _. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'schedule names are lowercase letters, digits, - and _'),
    /** A system id (`tryitnow`). */
    system: z.string().min(1),
    /** An instance under `targets.<system>`. */
    target: z.string().min(1),
    /** A runbook checklist of the system (`daily`); or `workflow`. */
    checklist: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'checklist names are lowercase letters, digits and -')
      .optional(),
    /** A workflow of the system (`health`); or `checklist`. */
    workflow: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'workflow names are lowercase letters, digits and -')
      .optional(),
    /** Cron pattern (5 fields, or 6 with seconds first), read in `timezone`; or `every`. */
    pattern: z
      .string()
      .regex(/^\S+( \S+){4,5}$/, 'must be a cron pattern such as "0 9 * * *"')
      .optional(),
    /** Fixed interval (`10m`, `1h`), at least 1s; or `pattern`. */
    every: DurationSchema.pipe(z.number().min(1000, 'every must be at least 1s')).optional(),
    /** IANA time zone of `pattern`. Default `UTC`. */
    timezone: z
      .string()
      .refine(isTimeZone, 'unknown time zone (use an IANA name such as Europe/Berlin, or UTC)')
      .default('UTC'),
    /** A name under `channels:`. */
    channel: z.string().min(1),
    /** Post only when a finding appeared, cleared or changed severity since this schedule's previous run. Default false. */
    onlyOnChange: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    if ((s.checklist === undefined) === (s.workflow === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of checklist or workflow' });
    }
    if ((s.pattern === undefined) === (s.every === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of pattern or every' });
    }
  });
export type ScheduleConfig = z.infer<typeof ScheduleSchema>;

/**
 * `thresholds:` (issue 14): per system, a runbook duration by name (`kyrodb: { circuit-breaker-open: 15s }`), in ms.
 * Systems are checked here; the names against each system's list at start (`checkThresholdNames`), which the config
 * cannot see.
 */
export const ThresholdsSchema = z.record(
  z.string(),
  z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'threshold names are lowercase letters, digits and -'),
    DurationSchema,
  ),
);

/** A runbook's escalation level. */
export const EscalationLevelSchema = z.enum(['P0', 'P1', 'P2', 'P3']);

/**
 * `escalation:` (issue 14). `pagerduty.routingKey`: the Events API v2 integration key (a secret: `${ENV_NAME}`).
 * `pagerduty.codes`: finding codes that page, with their P-level (`{ "corvo.scheduler.stalled": P1 }`), beside the
 * rows the runbooks themselves mark as paging (KyroDB's P0 rows).
 */
export const EscalationSchema = z.strictObject({
  pagerduty: z
    .strictObject({
      routingKey: z
        .string()
        .min(1, 'the Events API v2 integration key')
        .transform((v) => new Secret(v)),
      codes: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a finding code'), EscalationLevelSchema).default({}),
    })
    .optional(),
});
export type EscalationConfig = z.infer<typeof EscalationSchema>;

/**
 * What the config reads of a target system: its integration (the instance schema), and its runbook's workflows when
 * the caller passes the systems (the bot's processes do): then a schedule's `checklist:` is checked against them.
 */
export type ConfigSystem = TargetIntegration & {
  readonly workflows?: readonly Pick<Workflow<unknown>, 'id'>[];
  /** The runbook's durations: `thresholds.<id>` may name only these (issue 14). */
  readonly thresholds?: readonly ThresholdSpec[];
};

/** Builds the schema of the whole file from the integrations' own instance schemas. */
export function createConfigSchema(integrations: readonly ConfigSystem[]) {
  const targetShape: Record<string, z.ZodType> = {};
  for (const integration of integrations) {
    targetShape[integration.id] = z.record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'instance names are lowercase letters, digits, - and _'),
      integration.instanceSchema,
    );
  }
  return z
    .object({
      targets: z.strictObject(targetShape).partial().default({}),
      channels: z.record(z.string(), ChannelSchema).default({}),
      slack: SlackConfigSchema.default({ teamIds: [] }),
      approvals: ApprovalsSchema.default({
        approvers: [],
        requireDistinctApprover: true,
        ttl: 15 * 60_000,
        levels: {},
        quorum: {},
      }),
      alerts: z
        .object({
          pagerduty: z.array(AlertRuleSchema).default([]),
          alertmanager: z.array(AlertRuleSchema).default([]),
          /** Channel for alerts no rule matches. */
          defaultChannel: z.string().optional(),
          storm: StormSchema.default({ threshold: 10, window: 60_000 }),
          silences: SilencesSchema.default({ maxDuration: 24 * 3600_000 }),
        })
        .default({
          pagerduty: [],
          alertmanager: [],
          storm: { threshold: 10, window: 60_000 },
          silences: { maxDuration: 24 * 3600_000 },
        }),
      identities: IdentitiesSchema.default({}),
      pacing: PacingSchema.default({ messagesPerSecond: 1, burst: 3 }),
      retention: RetentionSchema.prefault({}),
      schedules: z.array(ScheduleSchema).default([]),
      thresholds: ThresholdsSchema.default({}),
      escalation: EscalationSchema.default({}),
    })
    .superRefine((cfg, ctx) => {
      for (const [system, names] of Object.entries(cfg.thresholds)) {
        const runbook = integrations.find((x) => x.id === system);
        if (!runbook) {
          ctx.addIssue({
            code: 'custom',
            path: ['thresholds', system],
            message: `unknown system "${system}" (one of: ${Object.keys(targetShape).join(', ')})`,
          });
        } else if (runbook.workflows) {
          // With the runbooks at hand (the bot's processes pass them), a name must be one of the system's durations.
          for (const p of checkThresholdNames({ [system]: names }, [runbook])) {
            ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
          }
        }
      }
      const seen = new Set<string>();
      cfg.schedules.forEach((s, i) => {
        if (seen.has(s.name)) {
          ctx.addIssue({ code: 'custom', path: ['schedules', i, 'name'], message: `duplicate schedule "${s.name}"` });
        }
        seen.add(s.name);
        if (!(s.channel in cfg.channels)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', i, 'channel'],
            message: `unknown channel "${s.channel}" (not under channels)`,
          });
        }
        if (!(s.system in targetShape)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', i, 'system'],
            message: `unknown system "${s.system}" (one of: ${Object.keys(targetShape).join(', ')})`,
          });
        } else if (!(s.target in ((cfg.targets as Record<string, object | undefined>)[s.system] ?? {}))) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', i, 'target'],
            message: `no instance "${s.target}" under targets.${s.system}`,
          });
        }
        // With the systems' runbooks at hand (the bot's processes pass them), a checklist must be one of its own.
        const runbook = integrations.find((x) => x.id === s.system);
        if (s.checklist !== undefined && runbook?.workflows) {
          const names = checklistNamesOf(runbook.workflows);
          if (!names.includes(s.checklist)) {
            ctx.addIssue({
              code: 'custom',
              path: ['schedules', i, 'checklist'],
              message:
                `unknown checklist "${s.checklist}" of ${runbook.displayName}` +
                (names.length ? ` (one of: ${names.join(', ')})` : ' (it has no checklists)'),
            });
          }
        }
      });
      for (const [kind, rules] of Object.entries(cfg.alerts)) {
        if (!Array.isArray(rules)) continue;
        rules.forEach((rule, i) => {
          if (rule.channel !== undefined && !(rule.channel in cfg.channels)) {
            ctx.addIssue({
              code: 'custom',
              path: ['alerts', kind, i, 'channel'],
              message: `unknown channel "${rule.channel}" (not under channels)`,
            });
          }
          if (!(rule.system in targetShape)) {
            ctx.addIssue({
              code: 'custom',
              path: ['alerts', kind, i, 'system'],
              message: `unknown system "${rule.system}" (one of: ${Object.keys(targetShape).join(', ')})`,
            });
          } else if (
            rule.target !== undefined &&
            !(rule.target in ((cfg.targets as Record<string, object | undefined>)[rule.system] ?? {}))
          ) {
            ctx.addIssue({
              code: 'custom',
              path: ['alerts', kind, i, 'target'],
              message: `no instance "${rule.target}" under targets.${rule.system}`,
            });
          }
        });
      }
      if (cfg.alerts.defaultChannel !== undefined && !(cfg.alerts.defaultChannel in cfg.channels)) {
        ctx.addIssue({
          code: 'custom',
          path: ['alerts', 'defaultChannel'],
          message: `unknown channel "${cfg.alerts.defaultChannel}" (not under channels)`,
        });
      }
    });
}

/** The parsed config file. Targets hold each integration's parsed instance config (secrets wrapped). */
export interface BotConfig {
  readonly targets: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
  readonly channels: Readonly<Record<string, z.infer<typeof ChannelSchema>>>;
  /** Absent in hand-built configs: no workspace pinning. */
  readonly slack?: z.infer<typeof SlackConfigSchema>;
  readonly approvals: z.infer<typeof ApprovalsSchema>;
  readonly alerts: {
    readonly pagerduty: readonly z.infer<typeof AlertRuleSchema>[];
    readonly alertmanager: readonly z.infer<typeof AlertRuleSchema>[];
    readonly defaultChannel?: string;
    /** Absent in hand-built configs: defaults apply. */
    readonly storm?: z.infer<typeof StormSchema>;
    /** Absent in hand-built configs: defaults apply. */
    readonly silences?: z.infer<typeof SilencesSchema>;
  };
  /** Absent in hand-built configs: no pins. */
  readonly identities?: z.infer<typeof IdentitiesSchema>;
  /** Absent in hand-built configs: {@link PacingSchema} defaults apply. */
  readonly pacing?: z.infer<typeof PacingSchema>;
  /** Absent in hand-built configs: {@link RetentionSchema} defaults apply. */
  readonly retention?: z.infer<typeof RetentionSchema>;
  /** Absent in hand-built configs: no schedules. */
  readonly schedules?: readonly ScheduleConfig[];
  /** Absent in hand-built configs: the runbooks' own durations. Per system, ms by threshold name. */
  readonly thresholds?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Absent in hand-built configs: no paging. */
  readonly escalation?: EscalationConfig;
}

/**
 * Replaces `${ENV_NAME}` in every string of a parsed YAML tree. Done on values, after parsing, so a secret can
 * never change the document's structure.
 */
function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  path: (string | number)[],
  problems: { path: (string | number)[]; message: string }[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        problems.push({ path, message: `environment variable ${name} is not set` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], problems)]));
  }
  return value;
}

/** Parses config text. `file` is only used in messages. Throws {@link ConfigError} listing every problem. */
export function parseConfig(
  text: string,
  file: string,
  integrations: readonly ConfigSystem[],
  env: Record<string, string | undefined> = process.env,
): BotConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      `invalid config file ${file}`,
      doc.errors.map((e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`),
    );
  }
  const where = (path: readonly PropertyKey[]): string => {
    const shown = path.length ? path.map(String).join('.') : '(top level)';
    const node = doc.getIn(path as unknown[], true) as { range?: [number, number, number] } | undefined;
    const offset = node && typeof node === 'object' && 'range' in node ? node.range?.[0] : undefined;
    return offset === undefined ? shown : `${shown} (line ${lineCounter.linePos(offset).line})`;
  };
  const problems: { path: (string | number)[]; message: string }[] = [];
  const raw = interpolate(doc.toJS() ?? {}, env, [], problems);
  const result = createConfigSchema(integrations).safeParse(raw);
  const messages = problems.map((p) => `${where(p.path)}: ${p.message}`);
  if (!result.success) {
    for (const issue of result.error.issues) messages.push(`${where(issue.path)}: ${issue.message}`);
  }
  if (messages.length > 0 || !result.success) throw new ConfigError(`invalid config file ${file}`, messages);
  return result.data as BotConfig;
}

/** Reads and parses the config file; a missing file is a {@link ConfigError} naming it. */
export function loadConfig(
  file: string,
  integrations: readonly ConfigSystem[],
  env: Record<string, string | undefined> = process.env,
): BotConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read config file ${file}`, [
      code === 'ENOENT'
        ? 'the file does not exist (set RUNBOOK_BOT_CONFIG to its path; see runbook-bot.example.yaml)'
        : `read failed (${code ?? 'unknown error'})`,
    ]);
  }
  return parseConfig(text, file, integrations, env);
}
