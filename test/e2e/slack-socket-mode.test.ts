/**
 * Issue 17: Slack over Socket Mode, end to end through the real processes. The `web` process has no signing secret
 * and no reachable /slack/events; it opens its connection through `apps.connections.open` on the fake Web API, and
 * every command and click arrives as an envelope on a loopback fake Socket Mode server (platforms-2.md §4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../src/dev/local-services.js';
import { approvalStates, startBotStack, type BotStack } from './bot-stack.js';

let stack: BotStack;

const socket = () => stack.socket!;
const reportsIn = (channel: string) => stack.slack.messages(channel);
const settle = () => new Promise((r) => setTimeout(r, 1500));

async function metric(baseUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function readyz(baseUrl: string): Promise<{ status: number; body: { failed?: string[] } }> {
  const res = await fetch(`${baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { failed?: string[] } };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  stack = await startBotStack({
    scenario: 'sqlite-diverged',
    approvers: ['slack:U0BOB', 'slack:U0ALICE'],
    corvoTimeoutMs: 10_000,
    socketMode: true,
  });
  await socket().waitForOpen(1);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('Slack over Socket Mode', () => {
  it('connects with the app token, not over HTTP; /slack/events does not exist without a signing secret', async () => {
    const open = stack.slack.callsTo('apps.connections.open');
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open.every((c) => c.token?.startsWith('xapp-'))).toBe(true);
    expect((await stack.postSlack('command=%2Fcorvo&text=health')).status).toBe(404);
    await until('ready', async () => (await readyz(stack.baseUrl)).status === 200);
    expect(await metric(stack.baseUrl, 'runbook_bot_slack_socket_connected')).toBe(1);
  });

  it('a slash command envelope is acknowledged within 3 s with the ephemeral answer, and the report posts once', async () => {
    const id = stack.socketCommand({ command: '/corvo', text: 'health', channel_id: 'C0SOCK' });
    const ack = await socket().waitForAck(id, 3000);
    expect(ack.afterMs).toBeLessThan(3000);
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload?.text)).toMatch(/^Running Corvo health on prod…/);
    await stack.slack.waitFor(() => reportsIn('C0SOCK').length === 1, 20_000);
    expect(JSON.stringify(reportsIn('C0SOCK')[0]!.blocks)).toContain('SQLite diverged from Pebble');
    await settle();
    expect(reportsIn('C0SOCK')).toHaveLength(1);
    expect(
      await metric(
        stack.baseUrl,
        'runbook_bot_slack_socket_envelopes_total',
        'type="slash_commands",outcome="handled"',
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it('the same envelope delivered twice, and once to each of two web processes, runs once', async () => {
    const fields = { command: '/corvo', text: 'health', channel_id: 'C0SOCKDUP', trigger_id: 'trig-sock-dup-1' };
    const first = stack.socketCommand(fields);
    socket().redeliver(first);
    const acks = () => socket().acks.filter((a) => a.envelopeId === first);
    await until('both deliveries acknowledged', () => acks().length === 2, 3000);

    // A second web process holds its own connection; Slack may hand the same command to either.
    const port = await getFreePort();
    await stack.spawnWeb({ PORT: String(port) });
    await socket().waitForOpen(2);
    const [a, b] = socket().openConnections();
    const other = { ...fields, channel_id: 'C0SOCKTWO', trigger_id: 'trig-sock-two-1' };
    const e1 = stack.socketCommand(other, { connection: a!.index });
    const e2 = stack.socketCommand(other, { connection: b!.index });
    await Promise.all([socket().waitForAck(e1, 3000, a!.index), socket().waitForAck(e2, 3000, b!.index)]);

    await stack.slack.waitFor(() => reportsIn('C0SOCKDUP').length >= 1 && reportsIn('C0SOCKTWO').length >= 1, 20_000);
    await settle();
    expect(reportsIn('C0SOCKDUP')).toHaveLength(1);
    expect(reportsIn('C0SOCKTWO')).toHaveLength(1);
    await until('second web ready', async () => (await readyz(`http://127.0.0.1:${port}`)).status === 200);
  });

  it('reconnects after refresh_requested and after a dropped socket; a command afterwards still works', async () => {
    const before = await metric(
      stack.baseUrl,
      'runbook_bot_slack_socket_reconnects_total',
      'cause="refresh_requested"',
    );
    const dropsBefore = await metric(stack.baseUrl, 'runbook_bot_slack_socket_reconnects_total', 'cause="dropped"');
    const opensBefore = socket().opens();
    socket().disconnect('refresh_requested');
    await until('a fresh connection after refresh_requested', () => socket().opens() >= opensBefore + 2);
    await socket().waitForOpen(2);
    expect(await metric(stack.baseUrl, 'runbook_bot_slack_socket_reconnects_total', 'cause="refresh_requested"')).toBe(
      before + 1,
    );

    const opensMid = socket().opens();
    socket().drop();
    await until('fresh connections after the drop', () => socket().opens() >= opensMid + 2);
    await socket().waitForOpen(2);
    await until(
      'the drop counted',
      async () =>
        (await metric(stack.baseUrl, 'runbook_bot_slack_socket_reconnects_total', 'cause="dropped"')) >=
        dropsBefore + 1,
    );

    // A warning (Slack is about to close this connection) and link_disabled (Socket Mode switched off) also lead to a
    // new connection, counted by cause; link_disabled is logged as something an operator must look at.
    for (const reason of ['warning', 'link_disabled'] as const) {
      const opens = socket().opens();
      socket().disconnect(reason);
      await until(`fresh connections after ${reason}`, () => socket().opens() >= opens + 2);
      await socket().waitForOpen(2);
      expect(
        await metric(stack.baseUrl, 'runbook_bot_slack_socket_reconnects_total', `cause="${reason}"`),
      ).toBeGreaterThanOrEqual(1);
    }
    await stack.web.waitForOutput('Slack disabled Socket Mode for this app');

    const id = stack.socketCommand({ command: '/corvo', text: 'health', channel_id: 'C0SOCKAFTER' });
    expect((await socket().waitForAck(id, 3000)).payload?.response_type).toBe('ephemeral');
    await stack.slack.waitFor(() => reportsIn('C0SOCKAFTER').length === 1, 20_000);
  });

  it('says on /readyz when Slack is not connected, and keeps retrying a failing apps.connections.open', async () => {
    socket().failOpen(4, { status: 503 });
    socket().failOpen(1, { error: 'internal_error' });
    const opensBefore = socket().opens();
    socket().drop();
    await until('not ready while disconnected', async () => {
      const r = await readyz(stack.baseUrl);
      return r.status === 503 && (r.body.failed ?? []).includes('slack-socket-mode');
    });
    expect(await metric(stack.baseUrl, 'runbook_bot_slack_socket_connected')).toBe(0);
    // Five failed opens (shared by both web processes), then a connection again.
    await socket().waitForOpen(2, 30_000);
    expect(socket().opens() - opensBefore).toBeGreaterThanOrEqual(7);
    expect(
      await metric(stack.baseUrl, 'runbook_bot_slack_socket_reconnects_total', 'cause="open_failed"'),
    ).toBeGreaterThanOrEqual(1);
    await until('ready again', async () => (await readyz(stack.baseUrl)).status === 200);
  }, 40_000);

  it('a button click over the socket opens the approval card, and an approval over the socket runs the step once', async () => {
    const { waitForState } = approvalStates(() => stack.db);
    const channel = 'C0SOCKFIX';
    stack.socketCommand({ command: '/corvo', text: 'health', channel_id: channel });
    await stack.slack.waitFor(() => reportsIn(channel).length >= 1, 20_000);
    const report = reportsIn(channel)[0]!;
    const button = (
      report.blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[]
    )
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.text.text.includes('Rebuild SQLite'))!;
    expect(button).toBeDefined();

    const offer = stack.socketClick({
      userId: 'U0ALICE',
      channelId: channel,
      actionId: button.action_id,
      value: button.value,
      messageTs: report.ts,
    });
    expect((await socket().waitForAck(offer, 3000)).payload).toEqual({});
    await stack.slack.waitFor(
      () => reportsIn(channel).some((m) => String(m.text).startsWith('Approval needed')),
      20_000,
    );
    const card = reportsIn(channel).find((m) => String(m.text).startsWith('Approval needed'))!;
    const approvalId = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.action_id === 'approval:approve')!.value;

    const before = stack.corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite').length;
    const click = {
      userId: 'U0BOB',
      channelId: channel,
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: card.ts,
    };
    const [a, b] = socket().openConnections();
    const approve = stack.socketClick(click, { connection: a!.index });
    // Slack delivers the very same click again, to the other web process's connection: one approval, one call.
    socket().redeliver(approve, { connection: b!.index });
    await Promise.all([socket().waitForAck(approve, 3000, a!.index), socket().waitForAck(approve, 3000, b!.index)]);
    await waitForState(approvalId, ['succeeded']);
    await settle();
    expect(stack.corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite').length - before).toBe(1);

    // A button the bot no longer knows is acknowledged at once and runs nothing.
    const stale = stack.socketClick({ ...click, actionId: 'old-button:v1', value: 'x' });
    expect((await socket().waitForAck(stale, 3000)).payload).toEqual({});
  }, 60_000);
});
