import { DEMO_ROUTE_ID, type TryItNowClients } from '../../integrations/tryitnow/index.js';
import type { ArgSpec } from '../../src/core/command.js';
import { formatNumber } from '../../src/core/format.js';
import type { Remediation } from '../../src/core/remediation.js';
import { TargetError, refusedBeforeWrite } from '../../src/core/target-error.js';
import { CORRECTION } from './corrections.js';
import { readInstanceRoutes } from './instance-routes.js';

const n = formatNumber;

/** A stream sequence ≥ 1 (0 is refused: nats-server reads a purge `{"seq":1}` as "purge everything"). */
const SEQUENCE = /^[1-9]\d{0,15}$/;

const KEEP_AFTER: ArgSpec = {
  name: 'keep-after',
  description: 'stream sequence: remove messages up to and including it, keep the later ones (default: remove all)',
  required: false,
  pattern: SEQUENCE,
};
const SEQ: ArgSpec = { name: 'seq', description: 'stream sequence of the message', required: true, pattern: SEQUENCE };
const ROUTE_ID: ArgSpec = {
  name: 'route-id',
  description: 'Caddy route @id (demo-route-<hostname>, the hostname from the instance record)',
  required: true,
  pattern: DEMO_ROUTE_ID,
};

function sequence(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const v = Number(value);
  if (!SEQUENCE.test(value) || !Number.isSafeInteger(v)) {
    throw new TargetError('api-error', `${what} must be a stream sequence ≥ 1 (got "${value.slice(0, 20)}")`, {
      code: 'VALIDATION_ERROR',
    });
  }
  return v;
}

/**
 * The Try It Now runbook's fixes that the bot can run, each behind a second person's approval. Restarts and
 * container clean-up need a shell on the host: the workflows list them as manual notes with their commands.
 */
export const tryitnowRemediations: readonly Remediation<TryItNowClients>[] = [
  {
    id: 'purge-stream',
    title: 'Purge provisioning stream',
    description:
      "Remove messages from the PROVISIONING JetStream stream: all, or those up to a sequence (needs a second person's approval).",
    level: 'approval',
    destructive: true,
    params: [KEEP_AFTER],
    describeCall: (p) =>
      p['keep-after']
        ? `$JS.API.STREAM.PURGE.<stream> {"seq":${Number(p['keep-after']) + 1}} (nats stream purge <stream> --seq ${Number(p['keep-after']) + 1})`
        : '$JS.API.STREAM.PURGE.<stream> {} (nats stream purge <stream> --force)',
    describeEffect: (p) => {
      const k = p['keep-after'];
      const what = k
        ? `Removes every message of the stream (PROVISIONING unless this target sets another streamName) with sequence ` +
          `1 … ${k} — both subjects, provision and cleanup tasks, delivered or not — and keeps ${Number(k) + 1} onward ` +
          `(JetStream "seq" purges up to but not including the sequence sent, so the bot sends ${Number(k) + 1}). A ` +
          `keep-after at or past the last sequence removes every message. `
        : 'Removes EVERY message of the stream (PROVISIONING unless this target sets another streamName) — both ' +
          'subjects, provision and cleanup tasks, pending and awaiting ack. ';
      return (
        `${what}Right before purging, the bot re-reads the stream and refuses if nothing it would remove is stored. ` +
        `It cannot be undone. The stream and its consumers stay; unacknowledged messages held by a worker are ` +
        'gone when it acks. Nothing in Try It Now publishes to this stream (the pool refills in-process), so a purge ' +
        `does not make a pool replenish.${k ? ` ${CORRECTION.purgeSeq}` : ''}`
      );
    },
    verify: { workflow: 'queue', findingCode: 'tryitnow.queue.depth' },
    async execute({ clients, params, signal }) {
      const stream = clients.nats.streamName;
      const keepAfterSeq = sequence(params['keep-after'], 'keep-after');
      // Check before the write: re-read the stream and refuse when there is nothing the purge would remove.
      const before = await clients.nats.streamInfo(stream, { signal });
      if (before.messages === 0) {
        throw refusedBeforeWrite(
          `${stream} is already empty (last sequence ${n(before.lastSeq)}), so nothing was purged. Run ` +
            '`/tryitnow queue` to see its current state.',
        );
      }
      if (keepAfterSeq !== undefined && before.firstSeq > keepAfterSeq) {
        throw refusedBeforeWrite(
          `no message of ${stream} has sequence ≤ ${n(keepAfterSeq)} any more (stored now: ${n(before.messages)}, ` +
            `sequences ${n(before.firstSeq)}–${n(before.lastSeq)}), so nothing was purged. Run \`/tryitnow queue\` and ` +
            'ask again with a current sequence.',
        );
      }
      const r = await clients.nats.purgeStream(stream, keepAfterSeq === undefined ? {} : { keepAfterSeq }, { signal });
      const after = await clients.nats.streamInfo(stream, { signal });
      const scope = keepAfterSeq === undefined ? 'all' : `sequence ≤ ${n(keepAfterSeq)}`;
      return {
        summary:
          `purged ${n(r.purged)} messages (${scope}) from ${stream}: ${n(before.messages)} → ${n(after.messages)} stored` +
          (after.messages > 0 ? `, first sequence now ${n(after.firstSeq)}` : ''),
      };
    },
  },
  {
    id: 'remove-message',
    title: 'Remove stream message',
    description:
      "Delete one message from the PROVISIONING stream by sequence (needs a second person's approval; the runbook's `nats consumer msg rm` does not exist).",
    level: 'approval',
    destructive: true,
    params: [SEQ],
    describeCall: (p) => `$JS.API.STREAM.MSG.DELETE.<stream> {"seq":${p.seq}} (nats stream rmm <stream> ${p.seq})`,
    describeEffect: (p) =>
      `Deletes exactly the message with stream sequence ${p.seq} (its payload is erased) and nothing else. Right ` +
      'before deleting, the bot reads that sequence and refuses if the message is already gone (a redelivery count ' +
      'outlives its messages on nats-server 2.9). A worker holding it unacknowledged can no longer ack it, and it is ' +
      'not redelivered. It cannot be undone. ' +
      CORRECTION.consumerMsgRm,
    verify: { workflow: 'queue', findingCode: 'tryitnow.queue.redelivered' },
    async execute({ clients, params, signal }) {
      const stream = clients.nats.streamName;
      const seq = sequence(params.seq, 'seq');
      if (seq === undefined) {
        throw new TargetError('api-error', 'seq is required', { code: 'VALIDATION_ERROR' });
      }
      // Check before the write: redelivery counts outlive their messages, so the sequence on the card may be gone.
      const stored = await clients.nats.storedMessage(stream, seq, { signal });
      if (!stored) {
        throw refusedBeforeWrite(
          `message #${n(seq)} is already gone from ${stream} (deleted or purged), so nothing was removed. A ` +
            'redelivery count that stays after its messages are gone is nats-server keeping it until it restarts; ' +
            'run `/tryitnow queue` to see what is stored now.',
        );
      }
      await clients.nats.deleteMessage(stream, seq, { signal });
      const after = await clients.nats.streamInfo(stream, { signal });
      return { summary: `deleted message #${n(seq)} from ${stream}; ${n(after.messages)} messages remain` };
    },
  },
  {
    id: 'clear-route',
    title: 'Clear Caddy route',
    description: "Remove one demo's Caddy route by its @id (needs a second person's approval).",
    level: 'approval',
    destructive: true,
    params: [ROUTE_ID],
    describeCall: (p) => `DELETE /id/${p['route-id']} (Caddy admin API)`,
    describeEffect: (p) =>
      `Removes the one Caddy route whose @id is ${p['route-id']} from the \`demo\` server: its hostname stops being ` +
      "proxied to the demo's container. Right before deleting, the bot re-reads the routes and every instance " +
      "record and refuses if the route is gone or now belongs to a live demo (by the record's hostname). The " +
      `instance record in Valkey and the container are not touched; other routes stay. ${CORRECTION.deleteDemoServer}`,
    verify: { workflow: 'state', findingCode: 'tryitnow.state.orphan-routes' },
    async execute({ clients, params, signal }) {
      const id = params['route-id'] ?? '';
      // Check before the write: re-read the routes and the instances right before deleting, and refuse when the route
      // is gone or belongs to a live demo (routes are keyed by the instance's hostname, not its id).
      const routes = await clients.caddy.demoRoutes({ signal });
      if (!routes.routes.some((r) => r['@id'] === id)) {
        throw refusedBeforeWrite(
          `Caddy route ${id} is already gone` +
            (routes.serverExists ? '' : ' (Caddy has no `demo` server at all)') +
            ', so nothing was removed. Run `/tryitnow state` to see the current routes.',
        );
      }
      const instances = await readInstanceRoutes(clients, signal);
      const owner = instances.routes.byRouteId.get(id);
      if (owner) {
        throw refusedBeforeWrite(
          `Caddy route ${id} belongs to the live demo ${owner.id} (hostname ${owner.hostname}` +
            `${owner.state ? `, ${owner.state}` : ''}), so it was not removed: clearing it would cut that user off.`,
        );
      }
      if (!instances.complete || instances.routes.unreadable.length > 0) {
        throw refusedBeforeWrite(
          `Caddy route ${id} was not removed: not every instance record could be read (` +
            (instances.complete
              ? `${n(instances.routes.unreadable.length)} not in Try It Now's JSON form`
              : 'too many instance:* keys') +
            '), so the bot cannot confirm that no live demo uses it.',
        );
      }
      await clients.caddy.clearRoute(id, { signal });
      const left = await clients.caddy.demoRoutes({ signal });
      return { summary: `removed Caddy route ${id}; ${n(left.routes.length)} demo routes remain` };
    },
  },
];
