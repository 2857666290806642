/**
 * `npm run teams:package`: writes the Teams app package to upload (Teams admin center → Manage apps → Upload, or
 * Teams → Apps → Manage your apps → Upload an app): `dist/teams/runbook-bot-teams.zip` with `manifest.json` (the
 * bot's `MICROSOFT_APP_ID` filled in) and the two icons at its root.
 *
 *   MICROSOFT_APP_ID=<azure bot app id> npm run teams:package [-- --out path.zip]
 *   npm run teams:package -- --icons        # (re)draw teams/color.png and teams/outline.png
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildManifest,
  createColorIcon,
  createOutlineIcon,
  createZip,
} from '../integrations/teams/teams-app-package.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const colorPath = join(here, 'color.png');
const outlinePath = join(here, 'outline.png');

if (args.includes('--icons') || !existsSync(colorPath) || !existsSync(outlinePath)) {
  writeFileSync(colorPath, createColorIcon());
  writeFileSync(outlinePath, createOutlineIcon());
  process.stdout.write(`wrote ${colorPath} and ${outlinePath}\n`);
  if (args.includes('--icons')) process.exit(0);
}

let manifest: string;
try {
  manifest = buildManifest(readFileSync(join(here, 'manifest.json'), 'utf8'), process.env.MICROSOFT_APP_ID);
} catch (err) {
  console.error(`teams:package: ${(err as Error).message}`);
  process.exit(2);
}
const outArg = args.indexOf('--out');
const out = resolve(
  outArg >= 0 && args[outArg + 1] ? args[outArg + 1]! : join(here, '..', 'dist', 'teams', 'runbook-bot-teams.zip'),
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  createZip([
    { name: 'manifest.json', data: Buffer.from(manifest, 'utf8') },
    { name: 'color.png', data: readFileSync(colorPath) },
    { name: 'outline.png', data: readFileSync(outlinePath) },
  ]),
);
process.stdout.write(`wrote ${out}\n`);
