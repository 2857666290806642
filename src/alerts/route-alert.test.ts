import { describe, expect, it } from 'vitest';
import { pointedWorkflows, routeAlert, type AlertRule, type RouteAlertOptions } from './route-alert.js';

const WORKFLOWS: Record<string, string[]> = {
  corvo: ['health', 'sqlite-diverged', 'jobs-stuck-active', 'leader-instability'],
  streamhouse: ['health', 'circuit-breaker-open', 'consumer-lag'],
};
const TARGETS: Record<string, string[]> = { corvo: ['prod'], streamhouse: ['prod', 'staging'] };

const options = (o: Partial<RouteAlertOptions> = {}): RouteAlertOptions => ({
  rules: [],
  workflowsOf: (s) => WORKFLOWS[s] ?? [],
  targetsOf: (s) => TARGETS[s] ?? [],
  ...o,
});

describe('routeAlert', () => {
  const rules: AlertRule[] = [
    {
      match: { service: 'Corvo Production', title: '/sqlite/i' },
      system: 'corvo',
      channel: 'db',
      workflow: 'sqlite-diverged',
    },
    { match: { service: 'Corvo Production' }, system: 'corvo', channel: 'incidents' },
    { match: { alertname: 'CircuitBreakerOpen' }, system: 'streamhouse', target: 'prod', channel: 'incidents' },
    { match: { alertname: '/^Consumer/' }, system: 'streamhouse', channel: 'incidents' },
  ];

  it('takes the first matching rule, with regex values', () => {
    expect(
      routeAlert({ service: 'Corvo Production', title: 'SQLite mirror dropping updates' }, options({ rules })),
    ).toEqual({
      kind: 'rule',
      ruleIndex: 0,
      system: 'corvo',
      target: 'prod',
      channel: 'db',
      workflows: ['sqlite-diverged'],
    });
    expect(routeAlert({ service: 'Corvo Production', title: 'Leader flapping' }, options({ rules }))).toMatchObject({
      ruleIndex: 1,
      channel: 'incidents',
    });
  });

  it('runs health plus what the alert points to (title, alertname, runbook_url)', () => {
    const route = routeAlert(
      {
        alertname: 'CircuitBreakerOpen',
        runbook_url: 'https://runbooks.example.com/streamhouse/circuit-breaker-open.md',
      },
      options({ rules }),
    );
    expect(route).toMatchObject({
      kind: 'rule',
      system: 'streamhouse',
      target: 'prod',
      workflows: ['health', 'circuit-breaker-open'],
    });
    expect(
      routeAlert({ service: 'Corvo Production', title: 'Corvo leader instability on shard 3' }, options({ rules })),
    ).toMatchObject({ workflows: ['health', 'leader-instability'] });
  });

  it('leaves the target unset when the rule names none and the system has several', () => {
    const route = routeAlert({ alertname: 'ConsumerLagHigh' }, options({ rules }));
    expect(route).toMatchObject({ kind: 'rule', system: 'streamhouse', workflows: ['health', 'consumer-lag'] });
    expect(route.kind === 'rule' && route.target).toBeUndefined();
  });

  it('sends what no rule matches to the default channel, else leaves it unrouted', () => {
    expect(routeAlert({ service: 'Billing' }, options({ rules, defaultChannel: 'alerts' }))).toEqual({
      kind: 'default',
      channel: 'alerts',
    });
    expect(routeAlert({ service: 'Billing' }, options({ rules }))).toEqual({ kind: 'unrouted' });
  });

  it('uses the default channel for a rule without one, and is unrouted without either', () => {
    const noChannel: AlertRule[] = [{ match: { service: 'X' }, system: 'corvo' }];
    expect(routeAlert({ service: 'X' }, options({ rules: noChannel, defaultChannel: 'alerts' }))).toMatchObject({
      kind: 'rule',
      channel: 'alerts',
    });
    expect(routeAlert({ service: 'X' }, options({ rules: noChannel }))).toEqual({ kind: 'unrouted', ruleIndex: 0 });
  });

  it('requires every match key, and a missing label never matches', () => {
    const strict: AlertRule[] = [{ match: { alertname: 'A', env: 'prod' }, system: 'corvo', channel: 'c' }];
    expect(routeAlert({ alertname: 'A' }, options({ rules: strict }))).toEqual({ kind: 'unrouted' });
    expect(routeAlert({ alertname: 'A', env: 'prod' }, options({ rules: strict })).kind).toBe('rule');
  });
});

describe('pointedWorkflows', () => {
  it('splits CamelCase and URLs into words and never points to health', () => {
    expect(pointedWorkflows({ alertname: 'SqliteDiverged' }, WORKFLOWS.corvo!)).toEqual(['sqlite-diverged']);
    expect(pointedWorkflows({ title: 'Jobs stuck in active state' }, WORKFLOWS.corvo!)).toEqual(['jobs-stuck-active']);
    expect(pointedWorkflows({ title: 'health of corvo' }, WORKFLOWS.corvo!)).toEqual([]);
    expect(pointedWorkflows({ workflow: 'leader-instability' }, WORKFLOWS.corvo!)).toEqual(['leader-instability']);
  });
});
