/**
 * Test support for the Try It Now workflows: the real clients, pointed at loopback fakes of the API and Caddy and at
 * the real NATS and Valkey servers a test file started. Never used in production.
 */
import {
  closeTryItNowClients,
  createTryItNowClients,
  TryItNowInstanceSchema,
  type TryItNowClients,
} from '../../../integrations/tryitnow/index.js';
import { createProvisioningStream } from '../../../integrations/tryitnow/simulator/create-provisioning-stream.js';
import {
  scenarioWorld,
  startCaddyAdminSimulator,
  startTryItNowSimulator,
  type CaddyAdminSimulator,
  type TryItNowScenario,
  type TryItNowSimulator,
} from '../../../integrations/tryitnow/simulator/index.js';
import { seedValkey } from '../../../integrations/tryitnow/simulator/seed-valkey.js';
import { startTryItNowWorkers, type TryItNowWorkers } from '../../../integrations/tryitnow/simulator/workers.js';
import { fixedClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Finding } from '../../../src/core/report.js';
import { worstSeverity } from '../../../src/core/report.js';
import type { RemediationContext } from '../../../src/core/remediation.js';
import type { Workflow, WorkflowResult } from '../../../src/core/workflow.js';

export const clock = fixedClock(Date.parse('2026-01-17T10:00:00Z'));

export interface WorldOptions {
  readonly scenario?: TryItNowScenario;
  /** The API's API_KEY. */
  readonly serverKey?: string;
  /** The key in the bot's config. Default: the server's. */
  readonly botKey?: string | null;
  readonly mode?: 'docker' | 'podman';
  /** Caddy demo routes (instance ids). */
  readonly routes?: readonly string[];
  readonly caddyServerExists?: boolean;
  readonly caddyUnreachable?: boolean;
  readonly natsUrl: string;
  readonly natsMonitorUrl: string;
  readonly valkeyUrl: string;
  readonly streamName?: string;
  readonly timeoutMs?: number;
}

export interface World {
  readonly clients: TryItNowClients;
  readonly api: TryItNowSimulator;
  readonly caddy: CaddyAdminSimulator;
  run(workflow: Workflow<TryItNowClients>): Promise<WorkflowResult & { byCode: Map<string, Finding>; verdict: string }>;
  remediationContext(params: Record<string, string>): RemediationContext<TryItNowClients>;
  close(): Promise<void>;
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const api = await startTryItNowSimulator({ scenario: o.scenario ?? 'healthy', apiKey: o.serverKey, mode: o.mode });
  const caddy = await startCaddyAdminSimulator({
    routes: o.routes,
    serverExists: o.caddyServerExists,
    unreachable: o.caddyUnreachable ?? o.scenario === 'unreachable',
  });
  const botKey = o.botKey === null ? undefined : (o.botKey ?? o.serverKey);
  const config = TryItNowInstanceSchema.parse({
    url: api.url,
    ...(botKey ? { apiKey: botKey } : {}),
    natsUrl: o.natsUrl,
    natsMonitorUrl: o.natsMonitorUrl,
    valkeyUrl: o.valkeyUrl,
    caddyAdminUrl: caddy.url,
    ...(o.streamName ? { streamName: o.streamName } : {}),
    timeoutMs: o.timeoutMs ?? 3000,
  });
  const clients = createTryItNowClients(config, { clock });
  return {
    clients,
    api,
    caddy,
    async run(workflow) {
      const result = await workflow.run({
        target: 'prod',
        clients,
        args: {},
        clock,
        signal: new AbortController().signal,
        logger: silentLogger,
      });
      return {
        ...result,
        byCode: new Map(result.findings.map((f) => [f.code, f])),
        verdict: worstSeverity(result.findings),
      };
    },
    remediationContext(params) {
      return { target: 'prod', clients, params, clock, signal: new AbortController().signal, logger: silentLogger };
    },
    async close() {
      await closeTryItNowClients(clients);
      await api.close();
      await caddy.close();
    },
  };
}

/**
 * A world in one of the simulator's scenarios on the test file's real NATS and Valkey: Valkey seeded, the stream
 * (default PROVISIONING) and its consumers created, and in scenarios with live workers the workers started, handed to
 * `onWorkers` before the world starts so that the test stops them whatever happens next.
 */
export async function startScenarioWorld(o: {
  readonly scenario: TryItNowScenario;
  readonly nats: { readonly url: string; readonly monitorUrl: string };
  readonly valkeyUrl: string;
  readonly stream?: string;
  readonly onWorkers: (workers: TryItNowWorkers) => void;
}): Promise<World> {
  const layout = scenarioWorld(o.scenario);
  await seedValkey(o.valkeyUrl, layout.valkey);
  await createProvisioningStream(o.nats.url, o.stream ?? 'PROVISIONING');
  // Live workers hold their pull requests, as the real server's do.
  if (layout.workers === 'live') {
    o.onWorkers(await startTryItNowWorkers({ natsUrl: o.nats.url, ...(o.stream ? { stream: o.stream } : {}) }));
    await new Promise((r) => setTimeout(r, 200));
  }
  return startWorld({
    scenario: o.scenario,
    serverKey: 'k',
    routes: layout.routes,
    natsUrl: o.nats.url,
    natsMonitorUrl: o.nats.monitorUrl,
    valkeyUrl: o.valkeyUrl,
    ...(o.stream ? { streamName: o.stream } : {}),
  });
}

/** `code → severity` of a result, for compact assertions. */
export function severities(findings: readonly Finding[]): Record<string, string> {
  return Object.fromEntries(findings.map((f) => [f.code, f.severity]));
}
