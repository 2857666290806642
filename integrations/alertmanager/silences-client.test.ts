/** The silences client against a loopback server: Alertmanager's refusal text is redacted before it is cut. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSecretValue } from '../../src/core/redact.js';
import { AlertmanagerApiError, createAlertmanagerSilences } from './silences-client.js';

const secret = 'am-basic-password-0123456789abcdefgh';
let server: Server;
let url: string;
beforeAll(async () => {
  registerSecretValue(secret);
  // A 400 whose JSON string echoes a credential across the 300-character cut.
  server = createServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify(`${'bad matcher; '.repeat(22)}${secret}${'y'.repeat(400)}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('createAlertmanagerSilences', () => {
  it('an error body echoing a secret across the cut keeps none of it', async () => {
    const am = createAlertmanagerSilences({ url });
    const err = await am.expireSilence('6e2f1a9c-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertmanagerApiError);
    const detail = (err as AlertmanagerApiError).detail;
    expect(detail.length).toBeLessThanOrEqual(300);
    expect(detail).not.toContain(secret.slice(0, 8));
  });
});
