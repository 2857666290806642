import {
  DEMO_ROUTE_PREFIX,
  routeIdOf,
  type ApiHealth,
  type DemoRoutes,
  type KeyInfo,
  type TryItNowClients,
} from '../../integrations/tryitnow/index.js';
import { diagnoseProbes } from '../../src/core/diagnose.js';
import { formatNumber } from '../../src/core/format.js';
import { probesRun, runProbes, type ProbeResult } from '../../src/core/probe.js';
import { countsText } from '../../src/core/report.js';
import type { Rule } from '../../src/core/rule.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { CORRECTION, SECTION, clearRouteAction } from './corrections.js';
import { plural } from './format.js';
import { INSTANCE_READ_LIMIT, indexInstanceRoutes, type InstanceRoutes } from './instance-routes.js';
import { probeFailures, valueOf, type TryItNowProbes } from './probes.js';

/**
 * Bounds: the bot reads Valkey with SCAN/SSCAN/LRANGE in pages and stops at these, so a diagnostic never walks a
 * huge keyspace. Results cut short say so in the evidence.
 */
export const STATE_LIMITS = {
  /** `state:*` keys listed. */
  stateKeys: 50,
  /** Ids read from `pool:ready` and from each `state:*` set. */
  idsPerKey: 500,
  /** `instance:*` keys listed (and their JSON records read). */
  instanceKeys: INSTANCE_READ_LIMIT,
  /** Ids checked with EXISTS. */
  existsChecks: 2000,
  /** Ports read from `ports:available` / `ports:in_use` to look for overlaps. */
  ports: 5000,
  /** clear-route buttons offered at most. */
  routeActions: 5,
} as const;

/** Valkey keys and Caddy routes, read together. Ids are what `pool:ready` and the `state:*` sets hold. */
export interface StateSnapshot {
  /** `pool:ready`, `ports:available`, `ports:in_use` and every `state:*` key found, with type and size. */
  readonly keys: readonly KeyInfo[];
  /** False when more `state:*` keys exist than were listed. */
  readonly stateKeysComplete: boolean;
  /** Ids per referencing key (`pool:ready`, `state:assigned`, …). */
  readonly refs: ReadonlyMap<string, readonly string[]>;
  /** False when a referencing key held more ids than were read. */
  readonly refsComplete: boolean;
  /** Ids that have an `instance:{id}` key. */
  readonly instances: ReadonlySet<string>;
  /** Ids whose `instance:{id}` was checked and is missing. */
  readonly missingInstances: ReadonlySet<string>;
  /** Ids found by `SCAN instance:*`. */
  readonly scannedInstances: readonly string[];
  readonly instancesComplete: boolean;
  /** Ports present in both `ports:available` and `ports:in_use` (sets only). */
  readonly portOverlap: readonly string[];
  /** The scanned instances' JSON records, indexed by the route @id their hostname gives. */
  readonly instanceRoutes: InstanceRoutes;
}

export interface StateObservations {
  readonly ping: ProbeResult<string>;
  readonly snapshot: ProbeResult<StateSnapshot>;
  readonly caddy: ProbeResult<DemoRoutes>;
  /** `/health`, only for the container runtime (`mode`) named in the manual notes. */
  readonly api: ProbeResult<ApiHealth>;
}

const n = formatNumber;
const FIXED_KEYS = ['pool:ready', 'ports:available', 'ports:in_use'];

async function readSnapshot(clients: TryItNowClients, signal: AbortSignal): Promise<StateSnapshot> {
  const v = clients.valkey;
  const L = STATE_LIMITS;
  const stateScan = await v.scanKeys('state:*', L.stateKeys, { signal });
  const keys = await v.keyInfo([...FIXED_KEYS, ...stateScan.items], { signal });
  const refs = new Map<string, string[]>();
  let refsComplete = true;
  for (const k of keys) {
    if (k.key.startsWith('ports:') || k.type === 'none' || k.type === 'string' || k.type === 'hash') continue;
    const m = await v.members(k.key, L.idsPerKey, { signal });
    refs.set(k.key, [...m.items]);
    if (!m.complete) refsComplete = false;
  }
  const ids = [...new Set([...refs.values()].flat())].slice(0, L.existsChecks);
  const exists = await v.exists(
    ids.map((id) => `instance:${id}`),
    { signal },
  );
  const instances = new Set(ids.filter((_, i) => exists[i]));
  const missingInstances = new Set(ids.filter((_, i) => !exists[i]));
  const scan = await v.scanKeys('instance:*', L.instanceKeys, { signal });
  const scannedInstances = scan.items.map((k) => k.slice('instance:'.length));
  for (const id of scannedInstances) instances.add(id);
  const instanceRoutes = indexInstanceRoutes(await v.instanceRecords(scannedInstances, { signal }));

  let portOverlap: string[] = [];
  const available = keys.find((k) => k.key === 'ports:available');
  const inUse = keys.find((k) => k.key === 'ports:in_use');
  if (available?.type === 'set' && inUse?.type === 'set' && available.size > 0 && inUse.size > 0) {
    const [a, b] = await Promise.all([
      v.members('ports:available', L.ports, { signal }),
      v.members('ports:in_use', L.ports, { signal }),
    ]);
    const used = new Set(b.items);
    portOverlap = a.items.filter((p) => used.has(p)).sort((x, y) => Number(x) - Number(y));
  }
  return {
    keys,
    stateKeysComplete: stateScan.complete,
    refs,
    refsComplete,
    instances,
    missingInstances,
    scannedInstances,
    instancesComplete: scan.complete,
    portOverlap,
    instanceRoutes,
  };
}

const VALKEY_FAILURE = { code: 'tryitnow.probe.valkey', section: SECTION.dataLoss };

/**
 * The probes, run in parallel. PING and the reads share Valkey's connection: one finding for Valkey, the reads'
 * if they failed (they come first). A failed `/health` only loses the runtime named in the notes.
 */
export const stateProbes: TryItNowProbes<StateObservations> = {
  snapshot: {
    endpoint: 'SCAN state:* / instance:*, SSCAN, LRANGE, EXISTS',
    what: 'Valkey',
    failure: VALKEY_FAILURE,
    call: (clients, signal) => readSnapshot(clients, signal),
  },
  ping: {
    endpoint: 'PING',
    what: 'Valkey PING',
    failure: VALKEY_FAILURE,
    call: (c, signal) => c.valkey.ping({ signal }),
  },
  caddy: {
    endpoint: 'GET /config/apps/http/servers/demo/routes',
    what: 'The Caddy admin API',
    failure: { code: 'tryitnow.probe.caddy', section: SECTION.dataLoss },
    call: (clients, signal) => clients.caddy.demoRoutes({ signal }),
  },
  api: {
    endpoint: 'GET /health',
    what: 'The Try It Now API',
    call: (clients, signal) => clients.api.health({ signal }),
  },
};

function keyText(k: KeyInfo): string {
  if (k.type === 'none') return `${k.key} absent`;
  return `${k.key} ${k.type} of ${n(k.size)}`;
}

const keysRule: Rule<StateObservations> = {
  code: 'tryitnow.state.keys',
  title: 'Pool keys in Valkey look unusual',
  okTitle: 'Pool keys in Valkey',
  section: SECTION.dataLoss,
  nextStep:
    'The API reads `ready` as `LLEN pool:ready` and `assigned`/`warming` as `SCARD state:assigned` / ' +
    '`SCARD state:warming`; a key of another type makes those calls fail (WRONGTYPE). If Valkey data was lost, ' +
    'follow "Recovering from Data Loss": stop the server, remove orphaned containers and routes, start it again.',
  evaluate(obs) {
    const s = valueOf(obs.snapshot);
    if (!s) return null;
    const shown = s.keys.filter((k) => !k.key.startsWith('ports:'));
    const wrong = shown.filter(
      (k) =>
        (k.key === 'pool:ready' && k.type !== 'list' && k.type !== 'none') ||
        (k.key.startsWith('state:') && k.type !== 'set'),
    );
    const more = s.stateKeysComplete ? '' : ` (only the first ${STATE_LIMITS.stateKeys} state:* keys listed)`;
    const text = `${shown.map(keyText).join(', ')}${more}`;
    return wrong.length > 0
      ? {
          severity: 'warning',
          evidence: `${text}; unexpected type: ${wrong.map((k) => `${k.key} is a ${k.type}`).join(', ')}`,
        }
      : { severity: 'ok', evidence: text };
  },
};

const portsRule: Rule<StateObservations> = {
  code: 'tryitnow.state.ports',
  title: 'No free ports for new demo instances',
  okTitle: 'Free ports available',
  section: SECTION.notReplenishing,
  nextStep:
    '"No available ports" is one of the runbook\'s causes of a pool that stops replenishing. Ports come back when ' +
    'instances are released or expire; ports held by instances that no longer exist (see the orphan checks) stay ' +
    'lost until the data is rebuilt ("Recovering from Data Loss").',
  runbookCorrection: CORRECTION.portsKey,
  correctionWhen: 'always',
  evaluate(obs) {
    const s = valueOf(obs.snapshot);
    if (!s) return null;
    const available = s.keys.find((k) => k.key === 'ports:available');
    const inUse = s.keys.find((k) => k.key === 'ports:in_use');
    if (!available) return null;
    const text = `${keyText(available)}${inUse ? `, ${keyText(inUse)}` : ''}`;
    const overlap =
      s.portOverlap.length > 0
        ? `; ${plural(s.portOverlap.length, 'port')} both available and in use: ${s.portOverlap.slice(0, 10).join(', ')}`
        : '';
    if (available.size === 0) return { severity: 'critical', evidence: `${text}${overlap}` };
    if (overlap) {
      return {
        severity: 'warning',
        title: 'Ports listed as both free and in use',
        evidence: `${text}${overlap}`,
        nextStep: 'Two instances may be handed the same port (inferred). Release or rebuild the affected instances.',
      };
    }
    return { severity: 'ok', evidence: text };
  },
};

const orphanRefsRule: Rule<StateObservations> = {
  code: 'tryitnow.state.orphan-refs',
  title: 'Pool entries pointing at no instance (hint)',
  okTitle: 'Every pool entry has its instance record',
  section: SECTION.dataLoss,
  nextStep:
    'Ids in `pool:ready` or a `state:*` set without an `instance:{id}` record are leftovers of a crash or a partial ' +
    'data loss (inferred): the API may hand out or count an instance that does not exist. If many, follow ' +
    '"Recovering from Data Loss".',
  evaluate(obs) {
    const s = valueOf(obs.snapshot);
    if (!s) return null;
    const bad: string[] = [];
    for (const [key, ids] of s.refs) {
      const missing = ids.filter((id) => s.missingInstances.has(id)).sort();
      if (missing.length > 0)
        bad.push(
          `${key}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${n(missing.length - 5)} more` : ''}`,
        );
    }
    const checked = new Set([...s.refs.values()].flat()).size;
    const partial = s.refsComplete ? '' : ` (first ${STATE_LIMITS.idsPerKey} ids per key checked)`;
    if (bad.length === 0)
      return { severity: 'ok', evidence: `${plural(checked, 'id')} checked${partial}, all with instance:{id}` };
    return { severity: 'warning', evidence: `no instance:{id} for ${bad.join('; ')}${partial}` };
  },
};

const unreferencedRule: Rule<StateObservations> = {
  code: 'tryitnow.state.unreferenced-instances',
  title: 'Instance records in no pool list or state set (hint)',
  okTitle: 'Every instance record is referenced',
  section: SECTION.memory,
  nextStep:
    'An `instance:{id}` that neither `pool:ready` nor any `state:*` set names is invisible to the pool and to TTL ' +
    'expiry (inferred): its container may still run. Compare with `docker ps`/`podman ps` and clean up (see notes).',
  evaluate(obs) {
    const s = valueOf(obs.snapshot);
    if (!s) return null;
    if (!s.refsComplete) return null; // cannot tell unreferenced from unread
    const referenced = new Set([...s.refs.values()].flat());
    const loose = s.scannedInstances.filter((id) => !referenced.has(id)).sort();
    const partial = s.instancesComplete ? '' : ` (first ${n(STATE_LIMITS.instanceKeys)} instance:* keys scanned)`;
    if (loose.length === 0) {
      return {
        severity: 'ok',
        evidence: `${plural(s.scannedInstances.length, 'instance record')}${partial}, all referenced`,
      };
    }
    return {
      severity: 'warning',
      evidence: `${plural(loose.length, 'instance record')} of ${n(s.scannedInstances.length)} referenced nowhere: ${loose.slice(0, 5).join(', ')}${loose.length > 5 ? ' …' : ''}${partial}`,
    };
  },
};

/** The demo routes (`demo-route-…`) of the `demo` server, in Caddy's order. */
function demoRouteIds(c: DemoRoutes): string[] {
  return c.routes.map((r) => r['@id']).filter((id): id is string => id?.startsWith(DEMO_ROUTE_PREFIX) === true);
}

const list = (xs: readonly string[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ' …' : ''}`;

const orphanRoutesRule: Rule<StateObservations> = {
  code: 'tryitnow.state.orphan-routes',
  title: 'Caddy routes for demos that no longer exist',
  okTitle: 'Every Caddy demo route belongs to a live demo',
  section: SECTION.dataLoss,
  nextStep:
    "A `demo-route-<hostname>` whose hostname is no instance's keeps proxying that hostname to a port the next demo " +
    "may reuse. Remove it by its @id (buttons below; each needs a second person's approval, and the bot re-reads the " +
    'route and the instances right before deleting).',
  runbookCorrection: CORRECTION.deleteDemoServer,
  evaluate(obs) {
    const s = valueOf(obs.snapshot);
    const c = valueOf(obs.caddy);
    if (!s || !c) return null;
    if (!c.serverExists) {
      return {
        severity: 'ok',
        title: 'No Caddy demo route',
        evidence: 'Caddy has no `demo` server, so no demo route (`/tryitnow health` says whether that is expected)',
      };
    }
    const routes = demoRouteIds(c);
    const live = s.instanceRoutes.byRouteId;
    const orphans = routes.filter((id) => !live.has(id));
    const matched = routes.length - orphans.length;
    const how = 'matched by hostname: route @id demo-route-<hostname>, the hostname from instance:{id}';
    if (orphans.length === 0) {
      return { severity: 'ok', evidence: `${plural(routes.length, 'demo route')}, each a live demo's (${how})` };
    }
    // A route is called orphaned only when every instance's hostname is known: an unread record could own it.
    const unknown = s.instanceRoutes.unreadable;
    if (!s.instancesComplete || unknown.length > 0) {
      const why = !s.instancesComplete
        ? `only the first ${n(STATE_LIMITS.instanceKeys)} instance:* keys were read`
        : `${plural(unknown.length, 'instance record')} could not be read as Try It Now's JSON (${unknown
            .slice(0, 3)
            .map((u) => `instance:${u.id} is ${u.reason}`)
            .join('; ')})`;
      return {
        severity: 'inconclusive',
        title: 'Caddy routes could not all be matched to instances',
        evidence:
          `${plural(orphans.length, 'route')} of ${n(routes.length)} match no instance read: ${list(orphans)}; but ` +
          `${why}, so any of them may be a live demo's. No route is offered for removal.`,
        actions: [],
      };
    }
    return {
      severity: 'warning',
      evidence:
        `${plural(orphans.length, 'route')} of ${n(routes.length)} match no instance's hostname: ${list(orphans)}` +
        (matched > 0 ? `; the other ${n(matched)} belong to live demos and are left alone` : '') +
        ` (${how})`,
      actions: orphans.slice(0, STATE_LIMITS.routeActions).map(clearRouteAction),
    };
  },
};

const missingRoutesRule: Rule<StateObservations> = {
  code: 'tryitnow.state.missing-routes',
  title: 'Assigned demos without a Caddy route',
  okTitle: 'Every assigned demo has its Caddy route',
  section: SECTION.dataLoss,
  nextStep:
    'An assigned instance without its `demo-route-<hostname>` cannot be reached by its user (Caddy has no route for ' +
    'its host). Release the demo (`DELETE /api/v1/demo/<id>`) so the user can acquire a new one; ' +
    '`demo_route_operations_total{result="failure"}` counts failed route adds, and `/tryitnow health` says whether ' +
    "Caddy's `demo` server is there at all.",
  evaluate(obs) {
    const s = valueOf(obs.snapshot);
    const c = valueOf(obs.caddy);
    if (!s || !c) return null;
    const assigned = s.refs.get('state:assigned');
    if (!assigned) return null;
    const routed = new Set(demoRouteIds(c));
    const known = assigned.filter((id) => s.instanceRoutes.routeIdOf.has(id));
    const unknown = assigned.length - known.length;
    const unknownText = unknown > 0 ? `; ${plural(unknown, 'assigned id')} without a readable record not checked` : '';
    // Sorted: set members come back from SSCAN in no stable order, and the report should not reshuffle.
    const missing = known.filter((id) => !routed.has(s.instanceRoutes.routeIdOf.get(id) as string)).sort();
    if (missing.length === 0) {
      return {
        severity: 'ok',
        evidence: `${plural(known.length, 'assigned demo')}, all routed (by hostname)${unknownText}`,
      };
    }
    const named = missing.map((id) => `${id} (${s.instanceRoutes.routeIdOf.get(id) ?? routeIdOf('?')})`);
    return {
      severity: 'warning',
      evidence:
        `${plural(missing.length, 'assigned demo')} of ${n(known.length)} without a route: ${list(named)}` +
        (c.serverExists ? '' : ' — Caddy has no `demo` server at all') +
        unknownText,
    };
  },
};

/** Valkey keys and orphan hints, in report order. */
export const stateRules: readonly Rule<StateObservations>[] = [
  keysRule,
  portsRule,
  orphanRefsRule,
  unreferencedRule,
  orphanRoutesRule,
  missingRoutesRule,
];

function manualNotes(obs: StateObservations): string[] {
  const mode = valueOf(obs.api)?.mode;
  const runtime = mode === 'podman' || mode === 'docker' ? mode : undefined;
  const rt = runtime ?? 'docker';
  return [
    `Orphaned containers (manual, on the Try It Now host${runtime ? `; the API runs ${runtime}` : ''}): \`make clean-demos\`, or ` +
      `\`${rt} ps -a | grep demo- | awk '{print $1}' | xargs ${rt} rm -f\`` +
      (runtime === 'podman' ? ' — the runbook writes `docker`, but this server runs podman (CONTAINER_MODE).' : '.'),
    'After a Valkey data loss (runbook order, and keep it): stop the server (`systemctl stop try-it-now`) first, ' +
      'remove the containers, clear the routes (`curl -X DELETE http://localhost:2019/config/apps/http/servers/demo` ' +
      'removes every demo route; `/tryitnow clear-route <demo-route-id>` removes one), then `systemctl start ' +
      'try-it-now`. Never delete the `demo` server while Try It Now runs: every acquire then fails (503 ROUTE_FAILED) ' +
      'until a restart, and the server comes back only with the first acquire after it.',
    'Read with SCAN/SSCAN/LRANGE in bounded pages — never KEYS.',
  ];
}

/** `/tryitnow state`: Valkey pool keys, free ports, and orphan hints across Valkey and Caddy. */
export async function runState(ctx: WorkflowContext<TryItNowClients>): Promise<WorkflowResult> {
  const obs = await runProbes<TryItNowClients, StateObservations>(stateProbes, ctx.clients, ctx.signal);
  const { findings } = diagnoseProbes({
    obs,
    ran: probesRun(stateProbes, obs),
    rules: stateRules,
    nowMs: ctx.clock.now(),
    failureFindings: probeFailures(stateProbes, ctx.target),
  });
  const s = valueOf(obs.snapshot);
  const ready = s?.keys.find((k) => k.key === 'pool:ready');
  const head = s
    ? `pool:ready ${n(ready?.size ?? 0)}, ${plural(s.scannedInstances.length, 'instance record')}`
    : 'Valkey not read';
  return { findings, summary: `${head}; ${countsText(findings)}`, notes: manualNotes(obs) };
}

export const stateWorkflow: Workflow<TryItNowClients> = {
  id: 'state',
  title: 'Try It Now state',
  description: 'Reads the pool keys in Valkey (SCAN, never KEYS), free ports, and orphaned records and Caddy routes.',
  run: runState,
};
