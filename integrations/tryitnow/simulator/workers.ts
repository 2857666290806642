/**
 * Test and demo support: a stand-in for Try It Now's NATS workers (`internal/queue/nats.go`). Like the real server it
 * runs `NATS_WORKER_COUNT` (default 3) workers per durable consumer, each looping on `Fetch(1, MaxWait 5s)`, so a
 * live server holds 3 waiting pull requests per consumer; a task is acked when its handler succeeds and Nak'd (and
 * redelivered at once, up to MaxDeliver) when it fails. `giveUp()` plays the server after a NATS outage of more than
 * ~10 s: its connection is closed for good and no pull request is ever made again
 * (`reference/real-systems.md`, Try It Now item 5). Never used in production.
 */
import { connect, type Consumer, type NatsConnection } from 'nats';
import { CLEANUP_CONSUMER, PROVISION_CONSUMER } from './create-provisioning-stream.js';

export interface TryItNowWorkersOptions {
  readonly natsUrl: string;
  /** `NATS_STREAM_NAME`. Default `PROVISIONING`. */
  readonly stream?: string;
  /** `NATS_WORKER_COUNT`. Default 3. */
  readonly workerCount?: number;
  /** Every provision task fails (Nak), as with no container runtime. Default false: tasks succeed (Ack). */
  readonly failProvision?: boolean;
  /** `FetchMaxWait`, ms. Default 5000 as in the real server. */
  readonly maxWaitMs?: number;
}

export interface TryItNowWorkers {
  /** Tasks acked so far (each provision task provisions one instance beyond the target on the real server). */
  readonly acked: () => number;
  /** Deliveries Nak'd so far (each one a `demo_provisions_total{result="failure"}` on the real server). */
  readonly naked: () => number;
  /** Closes the connection without reconnecting: the waiting pull requests go and never come back. */
  giveUp(): Promise<void>;
}

/** Starts the workers once the stream and its consumers exist (the server creates them before). */
export async function startTryItNowWorkers(o: TryItNowWorkersOptions): Promise<TryItNowWorkers> {
  const stream = o.stream ?? 'PROVISIONING';
  const count = o.workerCount ?? 3;
  const maxWait = o.maxWaitMs ?? 5000;
  const nc: NatsConnection = await connect({ servers: o.natsUrl.replace(/^nats:\/\//, ''), reconnect: false });
  const js = nc.jetstream();
  let stopped = false;
  let acked = 0;
  let naked = 0;

  async function loop(consumer: Consumer, fail: boolean): Promise<void> {
    while (!stopped && !nc.isClosed()) {
      try {
        const m = await consumer.next({ expires: maxWait });
        if (!m) continue;
        if (fail) {
          m.nak();
          naked++;
        } else {
          m.ack();
          acked++;
        }
      } catch {
        if (stopped || nc.isClosed()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  const provision = await js.consumers.get(stream, PROVISION_CONSUMER);
  const cleanup = await js.consumers.get(stream, CLEANUP_CONSUMER);
  for (let i = 0; i < count; i++) {
    void loop(provision, o.failProvision ?? false);
    void loop(cleanup, false);
  }
  return {
    acked: () => acked,
    naked: () => naked,
    giveUp: async () => {
      stopped = true;
      if (!nc.isClosed()) await nc.close();
    },
  };
}
