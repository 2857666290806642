/**
 * The simulator's scenarios: pool stats and everything `/metrics` prints, per runbook symptom. Values are made up;
 * names, labels, buckets and shapes follow `reference/targets.md` §5.2–5.5.
 */
import { BOUNDS, type HistogramSeries, type MetricsState } from './exposition.js';
import type { PoolStats } from '../schemas.js';
import { demoId, demoIds, healthyLayout, hostnameOf, ports, type ValkeyLayout } from './seed-valkey.js';

export const TRYITNOW_SCENARIOS = [
  'healthy',
  'fresh-start',
  'pool-low',
  'provision-failures',
  'orphaned-route',
  'demo-server-deleted',
  'store-unavailable',
  'nats-gave-up',
  'unreachable',
] as const;
/**
 * As the real server behaves (`reference/real-systems.md`, Try It Now): "warming" is always 0 (`state:warming` is
 * never written); Caddy's routes are keyed by hostname and exist only for assigned demos; there is no `demo` Caddy
 * server until the first acquire; live workers hold 3 waiting pulls per consumer.
 * - `healthy`: pool at 90 % of target, 0.9 % provision failures, CRIU restores well under 2 s; every assigned demo
 *   has its route.
 * - `fresh-start`: a server just started, no acquire yet: no `demo` Caddy server (normal), pool 10/10.
 * - `pool-low`: 1 ready of 10 (critical) and the pool at capacity (1 + 19 assigned = 20); failures low.
 * - `provision-failures`: 4 of 10 ready (warning), 43 % of provisions failing (critical), CRIU restores beyond the
 *   histogram's 2 s top bucket; no free port, and a route left behind by a demo whose record is gone.
 * - `orphaned-route`: healthy, plus one Caddy route whose instance no longer exists (the one Clear button).
 * - `demo-server-deleted`: Caddy's `demo` server was deleted while the server runs: every acquire answers 503
 *   ROUTE_FAILED and destroys a ready instance.
 * - `store-unavailable`: Valkey is down: `/health` 503, `/api/v1/pool/stats` hangs, the gauges froze at 10/10.
 * - `nats-gave-up`: NATS was down for more than ~10 s and the server stopped reconnecting: no worker pulls.
 * - `unreachable`: every connection is dropped.
 */
export type TryItNowScenario = (typeof TRYITNOW_SCENARIOS)[number];

export interface SimState {
  readonly scenario: TryItNowScenario;
  readonly stats: PoolStats;
  readonly metrics: MetricsState;
}

/**
 * A histogram from per-bucket observation counts (`perBucket[i]` observations in (bound[i-1], bound[i]],
 * `overflow` above the last bound) and a mean, so `_sum` is plausible.
 */
function histogramOf(
  bounds: readonly number[],
  perBucket: readonly number[],
  overflow: number,
  meanSeconds: number,
  labels?: Record<string, string>,
): HistogramSeries {
  let running = 0;
  const cumulative = bounds.map((_, i) => (running += perBucket[i] ?? 0));
  const count = running + overflow;
  return { ...(labels ? { labels } : {}), cumulative, count, sum: Math.round(count * meanSeconds * 1000) / 1000 };
}

const httpSeries = (path: string, status: string, count: number): HistogramSeries =>
  histogramOf(BOUNDS.http, [Math.round(count * 0.95), count - Math.round(count * 0.95)], 0, 0.004, {
    method: 'GET',
    path,
    status,
  });

function base(stats: PoolStats): Omit<MetricsState, 'provisions' | 'provisionDuration' | 'criuRestoreDuration'> {
  return {
    pool: stats,
    acquisitions: [
      { labels: { result: 'pool_exhausted' }, value: 3 },
      { labels: { result: 'rate_limited' }, value: 11 },
      { labels: { result: 'success' }, value: 212 },
    ],
    releases: [{ labels: { reason: 'manual' }, value: 37 }],
    rateLimitHits: 11,
    healthChecks: [{ labels: { result: 'healthy' }, value: 640 }],
    routeOperations: [
      { labels: { operation: 'add', result: 'success' }, value: 212 },
      { labels: { operation: 'remove', result: 'success' }, value: 198 },
    ],
    acquisitionDuration: histogramOf(BOUNDS.http, [150, 40, 15, 5, 2], 0, 0.012),
    healthCheckDuration: histogramOf(BOUNDS.fast, [0, 200, 300, 100, 30, 10], 0, 0.006),
    routeAddDuration: histogramOf(BOUNDS.fast, [0, 60, 100, 40, 12], 0, 0.008),
    routeRemoveDuration: histogramOf(BOUNDS.fast, [0, 60, 100, 30, 8], 0, 0.007),
    waitForReadyDuration: histogramOf(BOUNDS.waitForReady, [20, 150, 40, 2], 0, 4.1),
    httpRequestDuration: [
      httpSeries('/api/v1/demo/acquire', '200', 212),
      httpSeries('/api/v1/pool/stats', '200', 100),
      httpSeries('/health', '200', 860),
    ],
  };
}

export function createScenarioState(scenario: TryItNowScenario): SimState {
  switch (scenario) {
    case 'pool-low': {
      const stats = { ready: 1, assigned: 19, warming: 0, target: 10, capacity: 20 };
      return {
        scenario,
        stats,
        metrics: {
          ...base(stats),
          acquisitions: [
            { labels: { result: 'pool_exhausted' }, value: 41 },
            { labels: { result: 'rate_limited' }, value: 11 },
            { labels: { result: 'success' }, value: 380 },
          ],
          provisions: [
            { labels: { method: 'cold_start', result: 'success' }, value: 6 },
            { labels: { method: 'criu_restore', result: 'success' }, value: 390 },
          ],
          provisionDuration: [
            histogramOf(BOUNDS.provision, [0, 4, 2], 0, 6.2, { method: 'cold_start' }),
            histogramOf(BOUNDS.provision, [280, 100, 10], 0, 1.3, { method: 'criu_restore' }),
          ],
          criuRestoreDuration: histogramOf(BOUNDS.fast, [0, 0, 0, 0, 0, 20, 250, 100, 18, 2], 0, 0.26),
        },
      };
    }
    case 'provision-failures': {
      const stats = { ready: 4, assigned: 3, warming: 0, target: 10, capacity: 20 };
      return {
        scenario,
        stats,
        metrics: {
          ...base(stats),
          provisions: [
            { labels: { method: 'cold_start', result: 'failure' }, value: 35 },
            { labels: { method: 'cold_start', result: 'success' }, value: 40 },
            { labels: { method: 'criu_restore', result: 'failure' }, value: 40 },
            { labels: { method: 'criu_restore', result: 'success' }, value: 60 },
          ],
          provisionDuration: [
            histogramOf(BOUNDS.provision, [0, 2, 10, 40, 20, 3], 0, 27, { method: 'cold_start' }),
            histogramOf(BOUNDS.provision, [5, 30, 40, 25], 0, 8.5, { method: 'criu_restore' }),
          ],
          // 30 of 100 restores took longer than the 2 s top bucket: their real duration is invisible.
          criuRestoreDuration: histogramOf(BOUNDS.fast, [0, 0, 0, 0, 0, 0, 10, 20, 20, 20], 30, 2.4),
        },
      };
    }
    case 'fresh-start': {
      const stats = { ready: 10, assigned: 0, warming: 0, target: 10, capacity: 20 };
      const healthy = createScenarioState('healthy');
      return {
        scenario,
        stats,
        metrics: {
          ...healthy.metrics,
          pool: stats,
          acquisitions: [],
          releases: [],
          rateLimitHits: 0,
          routeOperations: [],
          provisions: [{ labels: { method: 'cold_start', result: 'success' }, value: 10 }],
          provisionDuration: [histogramOf(BOUNDS.provision, [0, 7, 3], 0, 5.1, { method: 'cold_start' })],
          criuRestoreDuration: histogramOf(BOUNDS.fast, [], 0, 0),
        },
      };
    }
    case 'demo-server-deleted': {
      // Each acquire: route POST fails (Caddy 500), the ready instance is destroyed ("manual" release).
      const stats = { ready: 5, assigned: 0, warming: 0, target: 10, capacity: 20 };
      const healthy = createScenarioState('healthy');
      return {
        scenario,
        stats,
        metrics: {
          ...healthy.metrics,
          pool: stats,
          acquisitions: [
            { labels: { result: 'route_failed' }, value: 4 },
            { labels: { result: 'success' }, value: 3 },
          ],
          releases: [{ labels: { reason: 'manual' }, value: 7 }],
          routeOperations: [
            { labels: { operation: 'add', result: 'failure' }, value: 4 },
            { labels: { operation: 'add', result: 'success' }, value: 3 },
            { labels: { operation: 'remove', result: 'success' }, value: 3 },
          ],
        },
      };
    }
    case 'store-unavailable': {
      // The gauges froze at their last values when Valkey went away: they still say 10 of 10.
      const stats = { ready: 10, assigned: 2, warming: 0, target: 10, capacity: 20 };
      const healthy = createScenarioState('healthy');
      return { scenario, stats, metrics: { ...healthy.metrics, pool: stats } };
    }
    case 'healthy':
    case 'orphaned-route':
    case 'nats-gave-up':
    case 'unreachable':
    default: {
      const stats = { ready: 9, assigned: 5, warming: 0, target: 10, capacity: 20 };
      return {
        scenario,
        stats,
        metrics: {
          ...base(stats),
          provisions: [
            { labels: { method: 'cold_start', result: 'failure' }, value: 2 },
            { labels: { method: 'cold_start', result: 'success' }, value: 9 },
            { labels: { method: 'criu_restore', result: 'success' }, value: 208 },
          ],
          provisionDuration: [
            histogramOf(BOUNDS.provision, [0, 6, 3], 0, 5.8, { method: 'cold_start' }),
            histogramOf(BOUNDS.provision, [150, 55, 3], 0, 1.16, { method: 'criu_restore' }),
          ],
          criuRestoreDuration: histogramOf(BOUNDS.fast, [0, 0, 0, 0, 0, 12, 128, 59, 8, 1], 0, 0.237),
        },
      };
    }
  }
}

/** What Valkey, Caddy and the NATS workers hold in a scenario (the API fake holds the rest). */
export interface ScenarioWorld {
  readonly valkey: ValkeyLayout;
  /** Hostnames with a route in Caddy's `demo` server; undefined: there is no `demo` server. */
  readonly routes?: readonly string[];
  /** Whether Try It Now's NATS workers are connected and pulling. */
  readonly workers: 'live' | 'gone';
  /** False: the API's Valkey ping fails (and `/api/v1/pool/stats` hangs). */
  readonly storeAvailable: boolean;
}

/** The hostnames of the assigned instances of a layout: the routes Try It Now keeps in Caddy. */
function routesOf(layout: ValkeyLayout): string[] {
  return (layout.states?.assigned ?? []).map(hostnameOf);
}

export function scenarioWorld(scenario: TryItNowScenario): ScenarioWorld {
  const healthy = healthyLayout();
  switch (scenario) {
    case 'fresh-start': {
      const ready = demoIds('r', 10);
      return {
        valkey: {
          ready,
          states: { ready },
          instances: ready,
          portsAvailable: ports(20100, 20),
          portsInUse: ports(20000, 10),
        },
        workers: 'live',
        storeAvailable: true,
      };
    }
    case 'pool-low': {
      const ready = demoIds('r', 1);
      const assigned = demoIds('a', 19);
      const valkey = {
        ready,
        states: { ready, assigned },
        instances: [...ready, ...assigned],
        portsAvailable: ports(20100, 3),
        portsInUse: ports(20000, 20),
      };
      return { valkey, routes: routesOf(valkey), workers: 'live', storeAvailable: true };
    }
    case 'provision-failures': {
      const ready = demoIds('r', 4);
      const assigned = demoIds('a', 3);
      const valkey = {
        ready,
        states: { ready, assigned },
        instances: [...ready, ...assigned],
        portsAvailable: [],
        portsInUse: ports(20000, 10),
      };
      return {
        valkey,
        routes: [...routesOf(valkey), hostnameOf(demoId('gone-1'))],
        workers: 'live',
        storeAvailable: true,
      };
    }
    case 'orphaned-route':
      return {
        valkey: healthy,
        routes: [...routesOf(healthy), hostnameOf(demoId('released-1'))],
        workers: 'live',
        storeAvailable: true,
      };
    case 'demo-server-deleted': {
      const ready = demoIds('r', 5);
      return {
        valkey: {
          ready,
          states: { ready },
          instances: ready,
          portsAvailable: ports(20100, 20),
          portsInUse: ports(20000, 5),
        },
        workers: 'live',
        storeAvailable: true,
      };
    }
    case 'store-unavailable':
      return { valkey: healthy, routes: routesOf(healthy), workers: 'live', storeAvailable: false };
    case 'nats-gave-up':
      return { valkey: healthy, routes: routesOf(healthy), workers: 'gone', storeAvailable: true };
    case 'healthy':
    case 'unreachable':
    default:
      return { valkey: healthy, routes: routesOf(healthy), workers: 'live', storeAvailable: true };
  }
}
