import type { TryItNowClients } from '../../integrations/tryitnow/index.js';
import { createChecklistWorkflow, type Checklist } from '../../src/core/checklist.js';
import { CORRECTION } from './corrections.js';
import { healthWorkflow } from './health.js';
import { poolWorkflow } from './pool.js';
import { queueWorkflow } from './queue.js';
import { stateWorkflow } from './state.js';

/**
 * The runbook's "Runbook Checklist" (Daily, Weekly, Monthly, On Deployment), item for item in its wording: what the
 * bot can read is answered by the findings of its workflows, the rest (logs, containers, host disk, a real acquire)
 * is a manual step with its command, corrected where the runbook's is wrong.
 */
export const tryitnowChecklists: readonly Checklist<TryItNowClients>[] = [
  {
    name: 'daily',
    section: 'Runbook Checklist › Daily',
    items: [
      {
        kind: 'check',
        text: 'Check pool stats: ready count should match target',
        workflow: poolWorkflow,
        codes: ['tryitnow.pool.ready'],
      },
      {
        kind: 'check',
        text: 'Review error logs',
        workflow: poolWorkflow,
        // The error counters the bot reads: provisions failed (demo_provisions_total{result="failure"}).
        codes: ['tryitnow.pool.provision-failures'],
        byHand:
          "the log itself — `journalctl -u try-it-now --since today | grep -i error` (the runbook's command). " +
          CORRECTION.provisionLogs,
      },
      {
        kind: 'check',
        text: 'Verify metrics are being collected',
        workflow: poolWorkflow,
        codes: [],
        answered: {
          probeCode: 'tryitnow.probe.metrics',
          code: 'tryitnow.checklist.metrics-collected',
          title: 'Metrics are being collected',
          evidence: 'GET /metrics answered and was parsed (the demo_* families the pool checks read)',
          // reference/real-systems.md, Try It Now item 4: with Valkey down /metrics still answers, frozen.
          frozenWhen: {
            probeCodes: ['tryitnow.probe.pool-stats'],
            why:
              'the pool stats did not answer, and the demo_pool_* gauges are set from the same Valkey reads: they ' +
              'stay frozen at their last values, so metrics are not being collected now',
          },
        },
      },
    ],
  },
  {
    name: 'weekly',
    section: 'Runbook Checklist › Weekly',
    items: [
      {
        kind: 'check',
        text: 'Review provision success rates',
        workflow: poolWorkflow,
        codes: ['tryitnow.pool.provision-failures', 'tryitnow.pool.criu-restore'],
      },
      {
        kind: 'check',
        text: 'Check for queue backlog trends',
        workflow: queueWorkflow,
        codes: ['tryitnow.queue.depth', 'tryitnow.queue.redelivered'],
      },
      {
        kind: 'check',
        text: 'Clean up any orphaned containers',
        workflow: stateWorkflow,
        // What the bot can see of orphans: instance records and Caddy routes. Containers are on the host.
        codes: ['tryitnow.state.unreferenced-instances', 'tryitnow.state.orphan-routes'],
        byHand:
          'the containers themselves are on the host: list them with `docker ps -a | grep demo-` (or `podman ps -a`), ' +
          "compare with the instances, then clean up with the runbook's `make clean-demos`.",
      },
    ],
  },
  {
    name: 'monthly',
    section: 'Runbook Checklist › Monthly',
    items: [
      {
        kind: 'manual',
        text: 'Review and update checkpoint (if image updated)',
        command:
          'scp checkpoint.tar.gz prod:/var/lib/checkpoints/ && ' +
          'CONTAINER_CHECKPOINT_PATH=/var/lib/checkpoints/checkpoint.tar.gz && systemctl restart try-it-now',
        runbookCorrection: CORRECTION.checkpointPath,
      },
      {
        kind: 'manual',
        text: 'Check disk usage for checkpoint storage',
        command: 'df -h /var/lib/checkpoints && du -sh /var/lib/checkpoints/*',
      },
      {
        kind: 'check',
        text: 'Review and tune pool size based on usage',
        workflow: poolWorkflow,
        codes: ['tryitnow.pool.ready'],
        byHand:
          'tune `POOL_TARGET_SIZE` (default 10) and `POOL_MAX_SIZE` (default 20), then `systemctl restart try-it-now`.',
      },
    ],
  },
  {
    name: 'on-deploy',
    section: 'Runbook Checklist › On Deployment',
    items: [
      {
        kind: 'check',
        text: 'Verify health endpoint',
        workflow: healthWorkflow,
        codes: ['tryitnow.health.api'],
      },
      {
        kind: 'check',
        text: 'Check pool starts replenishing',
        workflow: poolWorkflow,
        codes: ['tryitnow.pool.ready', 'tryitnow.pool.provision-failures'],
      },
      {
        kind: 'check',
        text: 'Confirm NATS consumers created',
        workflow: queueWorkflow,
        codes: ['tryitnow.queue.stream', 'tryitnow.queue.consumers'],
      },
      {
        kind: 'manual',
        text: 'Test acquire/release cycle',
        command:
          'curl -s -X POST -H "X-API-Key: $API_KEY" http://localhost:8080/api/v1/demo/acquire, then ' +
          'curl -s -X DELETE -H "X-API-Key: $API_KEY" http://localhost:8080/api/v1/demo/<id>',
        note: `the bot does not acquire itself: it would take a demo from the pool. ${CORRECTION.rateLimit}`,
      },
    ],
  },
];

/** `/tryitnow checklist <name>`. */
export const tryitnowChecklistWorkflow = createChecklistWorkflow({
  system: 'tryitnow',
  displayName: 'Try It Now',
  checklists: tryitnowChecklists,
});
