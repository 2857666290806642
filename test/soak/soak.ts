/**
 * `npm run soak`: the bot under mixed load with faults for `SOAK_SECONDS` (default 600), then its invariants and
 * figures (see ./soak-run.ts). `SOAK_SEED` replays a run's fault plan; `SOAK_OVERLAPPING_KILLS=1` also kills the other
 * worker while a replacement is still starting. Exits 1 when an invariant fails.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from './soak-run.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
if (!Number.isFinite(seconds) || seconds < 10) {
  console.error(
    `SOAK_SECONDS must be a number of seconds, at least 10 (got ${JSON.stringify(process.env.SOAK_SECONDS)})`,
  );
  process.exit(2);
}
const seed = process.env.SOAK_SEED === undefined ? undefined : Number(process.env.SOAK_SEED);

const outputFile = join(tmpdir(), `runbook-soak-${process.pid}.log`);
const overlappingKills = process.env.SOAK_OVERLAPPING_KILLS === '1';
const result = await runSoak({ seconds, seed, outputFile, overlappingKills, log: (line) => console.error(line) });
console.error(`soak: everything the bot printed is in ${outputFile}`);
console.log(result.figures);
process.exit(result.ok ? 0 : 1);
