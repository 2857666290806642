import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import type { CommandReply, CommandRequest } from '../../src/core/command.js';
import { silentLogger } from '../../src/core/logger.js';
import { Secret } from '../../src/core/secret.js';
import { createHttpServer } from '../../src/http/create-server.js';
import type { BotQueues } from '../../src/jobs/create-queues.js';
import { dispatchCommand } from '../../src/jobs/dispatch-command.js';
import { startCommandPathServices, type CommandPathServices } from '../../test/support/services.js';
import { SLACK_FORM_CONTENT_TYPE, signSlackRequest, slashCommandBody } from '../../test/support/slack-signing.js';
import { createSlackIngress, type SlackIngressOptions } from './slack-ingress.js';

const SECRET = 'ingress-test-signing-secret';
const NOW_MS = Date.UTC(2026, 0, 5, 12, 0, 0);
const nowSec = NOW_MS / 1000;

let db: pg.Pool;
let services: CommandPathServices | undefined;
let queues: BotQueues;

beforeAll(async () => {
  services = await startCommandPathServices('slack-ingress');
  ({ db, queues } = services);
}, 60_000);

afterAll(async () => {
  await services?.close();
});

let server: Server | undefined;
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  }
});

/**
 * The ingress on the web process's real HTTP server (so the body limit is the one in production), with the real
 * command dispatcher on a real Redis and Postgres. `queued` holds every request the ingress handed over.
 */
async function start(o: Partial<SlackIngressOptions> & { maxBodyBytes?: number } = {}) {
  const queued: CommandRequest[] = [];
  const ingress = createSlackIngress({
    signingSecret: new Secret(SECRET),
    botToken: new Secret('xoxb-test'),
    apiUrl: 'http://127.0.0.1:9/api/',
    clock: { now: () => NOW_MS },
    logger: silentLogger,
    onCommand: async (req) => {
      queued.push(req);
      return dispatchCommand(req, {
        commands,
        targetsOf: () => ['prod'],
        titleOf: (s, w) => `${s} ${w}`,
        queues,
        db,
        clock: { now: () => NOW_MS },
        logger: silentLogger,
      });
    },
    onInteraction: async () => {},
    ...o,
  });
  server = createHttpServer({
    maxBodyBytes: o.maxBodyBytes ?? 64 * 1024,
    logger: silentLogger,
    registry: new Registry(),
    checkReady: async () => [],
    postRoutes: { '/slack/events': (req, res, body) => void ingress.handle(req, res, body) },
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  const post = async (body: string, headers: Record<string, string> = signSlackRequest(SECRET, body, nowSec)) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': SLACK_FORM_CONTENT_TYPE, ...headers },
      body,
    });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  return { ingress, post, queued };
}

describe('Slack ingress: what is refused before anything runs', () => {
  it('answers 401 to a bad signature, a stale timestamp or none at all, and hands nothing over', async () => {
    const { post, queued } = await start();
    const body = slashCommandBody({ text: 'health' });
    const wrong = signSlackRequest('another-secret', body, nowSec);
    const stale = signSlackRequest(SECRET, body, nowSec - 6 * 60);
    for (const headers of [wrong, stale, {}]) {
      const r = await post(body, headers);
      expect(r).toMatchObject({ status: 401, text: '{"error":"invalid signature"}' });
    }
    expect(queued).toEqual([]);
  });

  it('answers 400 to a signed body that is not a slash command, an interaction or an event', async () => {
    const { post, queued } = await start();
    for (const body of [
      slashCommandBody({ trigger_id: undefined }),
      slashCommandBody({ command: 'corvo' }),
      slashCommandBody({ channel_id: '' }),
      'payload=%7Bnot-json',
    ]) {
      expect(await post(body)).toMatchObject({ status: 400, text: '{"error":"malformed body"}' });
    }
    expect(queued).toEqual([]);
  });

  it('answers 413 to a body over the limit, before the ingress sees it', async () => {
    const { post, queued } = await start({ maxBodyBytes: 1024 });
    const body = slashCommandBody({ text: 'x'.repeat(2000) });
    const r = await post(body);
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/MAX_BODY_BYTES/);
    expect(queued).toEqual([]);
  });

  it("answers Slack's unsigned ssl_check with 200 and nothing else", async () => {
    const { post, queued } = await start();
    expect(await post('ssl_check=1&token=x', {})).toMatchObject({ status: 200, text: '' });
    expect(queued).toEqual([]);
  });

  it('refuses a command from a workspace not in slack.teamIds, saying why, and runs nothing', async () => {
    const { post, queued } = await start({ teamIds: ['T0OURS'] });
    const r = await post(slashCommandBody({ text: 'health' }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ response_type: 'ephemeral', text: expect.stringMatching(/not set up/) });
    expect(queued).toEqual([]);
  });
});

describe('Slack ingress: a slash command', () => {
  it('is handed over once, with the fields of the one parse', async () => {
    const { post, queued } = await start();
    const body = slashCommandBody({ command: '/CORVO', text: 'help', user_name: 'alice', trigger_id: '123.456.abc' });
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(queued).toEqual([
      {
        command: 'corvo',
        text: 'help',
        actor: { platform: 'slack', userId: 'U0ALICE', name: 'alice' },
        conversation: { platform: 'slack', channelId: 'C0OPS', teamId: 'T0FAKE' },
        deliveryKey: '123.456.abc',
      },
    ]);
    expect(JSON.parse(r.text)).toEqual({ response_type: 'ephemeral', text: expect.stringMatching(/^\/corvo — /) });
  });

  it('that does not exist is answered with the commands that do', async () => {
    const { post } = await start();
    const r = await post(slashCommandBody({ command: '/nosuch', text: 'health' }));
    const text = (JSON.parse(r.text) as { text: string }).text;
    expect(text).toMatch(/^Unknown command \/nosuch\. Try /);
    for (const c of commands) expect(text).toContain(`/${c.name} help`);
  });

  it('with an unknown subcommand is answered with usage (escaped), and its rejection recorded', async () => {
    const { post } = await start();
    const r = await post(slashCommandBody({ command: '/kyrodb', text: '<b>bogus</b>', trigger_id: 'bogus.1.k' }));
    const text = (JSON.parse(r.text) as { text: string }).text;
    expect(text).toMatch(/^Unknown subcommand "&lt;b&gt;bogus&lt;\/b&gt;"\./);
    expect(text).toContain('/kyrodb health');
    const recorded = await db.query(`select system, workflow, status from invocations where user_id = 'U0ALICE'`);
    expect(recorded.rows).toEqual([{ system: 'kyrodb', workflow: '(invalid)', status: 'rejected' }]);
  });

  it('that runs is answered with its ack line once its job is queued', async () => {
    const { post } = await start();
    const r = await post(slashCommandBody({ command: '/kyrodb', text: 'health', trigger_id: 'run.1.k' }));
    expect(JSON.parse(r.text)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^Running kyrodb health on prod… \(inv_[0-9a-f]{20}\)$/),
    });
    expect(await queues.diagnostics.count()).toBe(1);
  });

  it('whose queueing fails is answered 200 with a line that does not promise nothing ran', async () => {
    const { post } = await start({
      onCommand: async () => {
        throw new Error('Connection is closed.');
      },
    });
    const r = await post(slashCommandBody({ text: 'health' }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^The bot could not confirm that this command was queued/),
    });
  });

  it('whose queueing outlasts the ack deadline is answered 503 (Slack has given up by then)', async () => {
    let finish: (r: CommandReply) => void = () => {};
    const { post } = await start({
      commandAckDeadlineMs: 50,
      onCommand: () => new Promise<CommandReply>((r) => (finish = r)),
    });
    const r = await post(slashCommandBody({ text: 'health' }));
    expect(r).toMatchObject({ status: 503, text: '' });
    finish({ text: 'late' }); // answered too late: nothing more is written
  });

  it('over Socket Mode gets the same answer, acknowledged once on the envelope', async () => {
    const { ingress, post } = await start();
    const fields = { command: '/nosuch', text: 'x', trigger_id: '9.9.z' };
    const overHttp = JSON.parse((await post(slashCommandBody(fields))).text) as object;
    const acks: (object | undefined)[] = [];
    const envelopeBody = Object.fromEntries(new URLSearchParams(slashCommandBody(fields)));
    const result = await ingress.receiveEnvelope({
      type: 'slash_commands',
      body: envelopeBody,
      ack: async (p) => void acks.push(p),
    });
    expect(result).toBe('handled');
    expect(acks).toEqual([overHttp]);
  });

  it('over Socket Mode, malformed, is acknowledged (so Slack does not redeliver it) and runs nothing', async () => {
    const { ingress, queued } = await start();
    const acks: (object | undefined)[] = [];
    const result = await ingress.receiveEnvelope({
      type: 'slash_commands',
      body: { command: '/corvo' },
      ack: async (p) => void acks.push(p),
    });
    expect(result).toBe('bad-request');
    expect(acks).toEqual([undefined]);
    expect(queued).toEqual([]);
  });
});
