/**
 * Routing of alerts to a channel and a runbook, from the config's `alerts` rules (CONTRACT.md § Config file).
 * Platform-neutral and pure: it sees only the alert's labels.
 */
import { parseMatchValue } from '../config/parse-match-value.js';

/** One `alerts.<source>[]` rule. */
export interface AlertRule {
  /** Every key must match; a value written `/regex/flags` is a regular expression, anything else must be equal. */
  readonly match: Readonly<Record<string, string>>;
  readonly system: string;
  readonly target?: string;
  /** A name under `channels`. */
  readonly channel?: string;
  /** Run this workflow instead of the system's health check plus what the alert points to. */
  readonly workflow?: string;
}

export interface RouteAlertOptions {
  readonly rules: readonly AlertRule[];
  /** `alerts.defaultChannel`: where alerts no rule matches go. */
  readonly defaultChannel?: string;
  /** Workflow ids of a system (empty for an unknown one). */
  readonly workflowsOf: (system: string) => readonly string[];
  /** Configured instance names of a system. */
  readonly targetsOf: (system: string) => readonly string[];
}

/** Where an alert goes and what runs in its thread. */
export type AlertRoute =
  | {
      readonly kind: 'rule';
      readonly ruleIndex: number;
      readonly system: string;
      /** Undefined when the rule names none and the system has several (or no) instances: nothing runs. */
      readonly target?: string;
      readonly channel: string;
      /** In order; the first finding to appear in the thread is the first workflow's. */
      readonly workflows: readonly string[];
    }
  | { readonly kind: 'default'; readonly channel: string }
  /** Recorded and counted, never silently dropped. `ruleIndex` is set when a rule matched but named no channel. */
  | { readonly kind: 'unrouted'; readonly ruleIndex?: number };

const compiled = new Map<string, RegExp | null>();

function matches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = parseMatchValue(pattern) ?? null;
    } catch {
      re = null;
    }
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re ? re.test(value) : pattern === value;
}

/** Lower-case words of a hint: `CircuitBreakerOpen` → circuit, breaker, open; URLs by path segment. */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * The workflows an alert points to: a `workflow` label (e.g. a PagerDuty custom detail) naming one exactly, or a
 * workflow whose every id word appears in the title, `alertname` or `runbook_url` (Streamhouse's
 * `…/circuit-breaker-open.md` → `circuit-breaker-open`). `health` is never "pointed to"; it always runs.
 */
export function pointedWorkflows(labels: Readonly<Record<string, string>>, workflowIds: readonly string[]): string[] {
  const explicit = [labels.workflow, labels.runbook_workflow].filter((w): w is string => !!w);
  const bag = new Set(
    [labels.title, labels.alertname, labels.runbook_url, labels.summary].flatMap((h) => (h ? words(h) : [])),
  );
  const out: string[] = [];
  for (const id of workflowIds) {
    if (id === 'health') continue;
    const idWords = id.split('-').filter(Boolean);
    if (explicit.includes(id) || (idWords.length > 0 && idWords.every((w) => bag.has(w)))) out.push(id);
  }
  return out;
}

/**
 * First matching rule wins. A rule's `workflow` is run as is; otherwise the system's `health` workflow and the
 * workflows the alert points to. No rule: `alerts.defaultChannel` if configured, else unrouted.
 */
export function routeAlert(labels: Readonly<Record<string, string>>, o: RouteAlertOptions): AlertRoute {
  const index = o.rules.findIndex((rule) => Object.entries(rule.match).every(([k, v]) => matches(v, labels[k])));
  if (index < 0) return o.defaultChannel ? { kind: 'default', channel: o.defaultChannel } : { kind: 'unrouted' };
  const rule = o.rules[index]!;
  const channel = rule.channel ?? o.defaultChannel;
  if (!channel) return { kind: 'unrouted', ruleIndex: index };
  const available = o.workflowsOf(rule.system);
  const workflows = rule.workflow
    ? [rule.workflow]
    : [...(available.includes('health') ? ['health'] : []), ...pointedWorkflows(labels, available)];
  const targets = o.targetsOf(rule.system);
  const target = rule.target ?? (targets.length === 1 ? targets[0] : undefined);
  return {
    kind: 'rule',
    ruleIndex: index,
    system: rule.system,
    ...(target !== undefined ? { target } : {}),
    channel,
    workflows,
  };
}
