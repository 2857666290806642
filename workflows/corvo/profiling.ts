import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { Workflow } from '../../src/core/workflow.js';

/**
 * The runbook's pprof commands as copyable text. The workflow probes nothing and does not see the target's url, so
 * the commands say `<corvo-url>`. `/debug/pprof/*` sits outside Corvo's auth middleware (reference/targets.md
 * §1.1): the warning comes first.
 */
export function profilingNotes(target: string): string[] {
  const url = '<corvo-url>';
  return [
    `⚠ \`/debug/pprof/*\` is served WITHOUT authentication (outside Corvo's API-key check): anyone who can reach ` +
      'the HTTP port can pull goroutine dumps and profiles and start CPU profiles that load a busy node. Run these ' +
      `from inside the network and keep the port firewalled. \`${url}\` is the url of target ${target} ` +
      `(\`targets.corvo.${target}.url\` in the bot config).`,
    `CPU profile (blocks 30 s, costs CPU meanwhile): \`curl -o cpu.prof "${url}/debug/pprof/profile?seconds=30"\` ` +
      'then `go tool pprof -http=:8081 cpu.prof`',
    `Heap: \`curl -o heap.prof "${url}/debug/pprof/heap"\` then \`go tool pprof -http=:8081 heap.prof\``,
    `Goroutines (text dump): \`curl "${url}/debug/pprof/goroutine?debug=2"\``,
    `Block / mutex: \`curl -o block.prof "${url}/debug/pprof/block"\` and ` +
      `\`curl -o mutex.prof "${url}/debug/pprof/mutex"\` (empty unless the process enables block/mutex profiling)`,
  ];
}

export const profilingWorkflow: Workflow<CorvoClients> = {
  id: 'profiling',
  title: 'Corvo profiling',
  description: 'Copyable pprof commands (CPU, heap, goroutines, block, mutex); probes nothing.',
  async run(ctx) {
    return {
      findings: [],
      summary: `No probe run: the runbook's pprof commands for ${ctx.target}, to run from a shell`,
      notes: profilingNotes(ctx.target),
    };
  },
};
