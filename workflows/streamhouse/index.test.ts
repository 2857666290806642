import { describe, expect, it } from 'vitest';
import { streamhouseIntegration } from '../../integrations/streamhouse/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { createSystemCommand, parseCommandText } from '../../src/core/command.js';
import { UserFacingError } from '../../src/core/user-facing-error.js';
import { streamhouseWorkflows } from './index.js';

describe('streamhouseWorkflows', () => {
  const command = createSystemCommand('streamhouse', 'Streamhouse', streamhouseWorkflows);

  it('offers health, leases [topic] and schemas [subject]', () => {
    expect(streamhouseWorkflows.map((w) => w.id)).toEqual(['health', 'leases', 'schemas']);
    expect(parseCommandText(command, 'leases orders.v2', ['prod'])).toMatchObject({
      kind: 'run',
      workflow: 'leases',
      args: { topic: 'orders.v2' },
    });
    expect(parseCommandText(command, 'schemas orders-value', ['prod'])).toMatchObject({
      args: { subject: 'orders-value' },
    });
    expect(parseCommandText(command, 'leases', ['prod'])).toMatchObject({ args: {} });
  });

  it('rejects a topic that is not a topic name before anything runs', () => {
    expect(() => parseCommandText(command, "leases 'orders; drop'", ['prod'])).toThrow(UserFacingError);
    expect(() => parseCommandText(command, `leases ${'x'.repeat(250)}`, ['prod'])).toThrow(UserFacingError);
  });
});

describe('streamhouseIntegration', () => {
  it('validates its config block and builds clients without connecting', async () => {
    expect(streamhouseIntegration).toMatchObject({ id: 'streamhouse', displayName: 'Streamhouse' });
    const config = streamhouseIntegration.instanceSchema.parse({
      url: 'http://10.255.255.1:8080',
      databaseUrl: 'postgres://bot:pw@10.255.255.1:5432/streamhouse',
      organizationId: '00000000-0000-0000-0000-000000000000',
    });
    const clients = streamhouseIntegration.createClients(config, { clock: fixedClock(0) });
    expect(clients.streamhouse.hasPrometheus).toBe(false);
    await clients.streamhouse.close();
    await clients.metadata.close();
  });
});
