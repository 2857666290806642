import { routeIdOf, type InstanceRecordRead, type TryItNowClients } from '../../integrations/tryitnow/index.js';

/**
 * Caddy routes are keyed by the instance's **hostname** (`demo-route-<hostname>`), which is not its id
 * (`reference/real-systems.md`, Try It Now item 1): an instance's route is found through its record. This reads the
 * records and indexes them by the route @id they would have.
 */
export interface InstanceRoutes {
  /** Route @id → the instance whose hostname gives it. */
  readonly byRouteId: ReadonlyMap<string, { readonly id: string; readonly hostname: string; readonly state?: string }>;
  /** Instance id → its route @id. */
  readonly routeIdOf: ReadonlyMap<string, string>;
  /** Records that exist but are not Try It Now's JSON: their hostname, so their route, is unknown. */
  readonly unreadable: readonly Extract<InstanceRecordRead, { kind: 'unreadable' }>[];
  /** Ids whose record vanished between the scan and the read (released meanwhile). */
  readonly vanished: readonly string[];
}

/** Indexes records read with `valkey.instanceRecords`. */
export function indexInstanceRoutes(records: readonly InstanceRecordRead[]): InstanceRoutes {
  const byRouteId = new Map<string, { id: string; hostname: string; state?: string }>();
  const routeIds = new Map<string, string>();
  const unreadable: Extract<InstanceRecordRead, { kind: 'unreadable' }>[] = [];
  const vanished: string[] = [];
  for (const r of records) {
    if (r.kind === 'record') {
      const routeId = routeIdOf(r.record.hostname);
      byRouteId.set(routeId, { id: r.id, hostname: r.record.hostname, state: r.record.state });
      routeIds.set(r.id, routeId);
    } else if (r.kind === 'unreadable') unreadable.push(r);
    else vanished.push(r.id);
  }
  return { byRouteId, routeIdOf: routeIds, unreadable, vanished };
}

/** How many instance records the bot reads at most (SCAN `instance:*`, then GET each). */
export const INSTANCE_READ_LIMIT = 5000;

/** Every `instance:*` record now (bounded): ids found, whether the scan was complete, and the route index. */
export async function readInstanceRoutes(
  clients: TryItNowClients,
  signal: AbortSignal,
): Promise<{ ids: readonly string[]; complete: boolean; routes: InstanceRoutes }> {
  const scan = await clients.valkey.scanKeys('instance:*', INSTANCE_READ_LIMIT, { signal });
  const ids = scan.items.map((k) => k.slice('instance:'.length));
  const records = await clients.valkey.instanceRecords(ids, { signal });
  return { ids, complete: scan.complete, routes: indexInstanceRoutes(records) };
}
