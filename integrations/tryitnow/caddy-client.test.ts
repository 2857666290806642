import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { isTargetError } from '../../src/core/target-error.js';
import { createCaddyAdminClient, type CaddyAdminClient } from './caddy-client.js';
import {
  startCaddyAdminSimulator,
  type CaddyAdminSimulator,
  type CaddyAdminSimulatorOptions,
} from './simulator/index.js';

/** The Caddy admin client against the loopback Caddy fake (traversal and @id rules of caddy `admin.go`). */

const clock = fixedClock(0);
const open: { sim: CaddyAdminSimulator; client: CaddyAdminClient }[] = [];

afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    await client.close();
    await sim.close();
  }
});

async function setup(o: CaddyAdminSimulatorOptions) {
  const sim = await startCaddyAdminSimulator(o);
  const client = createCaddyAdminClient({ caddyAdminUrl: sim.url, timeoutMs: 2000 }, { clock });
  open.push({ sim, client });
  return { sim, client };
}

describe('CaddyAdminClient', () => {
  it('lists the demo server routes with their @id', async () => {
    const { client } = await setup({ routes: ['a1', 'a2'] });
    const r = await client.demoRoutes();
    expect(r.serverExists).toBe(true);
    expect(r.routes.map((x) => x['@id'])).toEqual(['demo-route-a1', 'demo-route-a2']);
  });

  it('reads a missing demo server (Caddy: 400 invalid traversal path) as serverExists false', async () => {
    const { client } = await setup({ serverExists: false });
    expect(await client.demoRoutes()).toEqual({ serverExists: false, routes: [] });
  });

  it('clearRoute deletes exactly that route by @id', async () => {
    const { sim, client } = await setup({ routes: ['a1', 'a2', 'a3'] });
    await client.clearRoute('demo-route-a2');
    expect(sim.routeIds()).toEqual(['demo-route-a1', 'demo-route-a3']);
    expect(sim.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/id/demo-route-a2']);
  });

  it('names an unknown route id', async () => {
    const { sim, client } = await setup({ routes: ['a1'] });
    await expect(client.clearRoute('demo-route-zz')).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 });
    expect(sim.routeIds()).toEqual(['demo-route-a1']);
  });

  it('refuses an @id that is not a Try It Now route, without sending anything', async () => {
    const { sim, client } = await setup({ routes: ['a1'] });
    await expect(client.clearRoute('srv0')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(client.clearRoute('demo-route-../x')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(sim.requests).toEqual([]);
  });

  it('reports an unreachable admin API', async () => {
    const { client } = await setup({ unreachable: true });
    const err: unknown = await client.demoRoutes().catch((e: unknown) => e);
    expect(isTargetError(err) && err.kind).toBe('unreachable');
  });
});
