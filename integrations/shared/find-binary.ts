/**
 * Where the local binaries the tests, the demo and the simulators spawn (redis-server, postgres, nats-server,
 * alertmanager) live, and the exact command that installs one that is missing. Shared by src/dev/local-services.ts
 * and integrations/tryitnow/simulator/start-nats-server.ts, which may not import src/dev.
 */
import { accessSync, constants as fsConstants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export class MissingBinaryError extends Error {
  readonly binary: string;
  readonly installHint: string;

  constructor(binary: string, installHint: string) {
    super(`${binary} not found on PATH. Install it with: ${installHint}`);
    this.name = 'MissingBinaryError';
    this.binary = binary;
    this.installHint = installHint;
  }
}

/** The exact command that installs each binary we spawn (Debian/Ubuntu). */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  'redis-server': 'sudo apt-get install -y redis-server',
  postgres: 'sudo apt-get install -y postgresql',
  initdb: 'sudo apt-get install -y postgresql',
  'nats-server': 'sudo apt-get install -y nats-server',
  'prometheus-alertmanager': 'sudo apt-get install -y prometheus-alertmanager',
};

const POSTGRES_TOOLS = new Set([
  'postgres',
  'postmaster',
  'initdb',
  'pg_ctl',
  'pg_isready',
  'psql',
  'createdb',
  'dropdb',
  'pg_dump',
  'pg_restore',
  'pg_config',
]);

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `/usr/lib/postgresql/<major>/bin`, newest major first. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join(root, v, 'bin'));
}

/**
 * Absolute path of an executable: searched on PATH, then in `extraDirs`, then (for Postgres tools) in
 * `/usr/lib/postgresql/<newest>/bin`, then `/usr/sbin` and `/usr/bin` (often missing from a non-root PATH).
 */
export function findBinary(name: string, extraDirs: string[] = []): string | undefined {
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  const dirs = [
    ...pathDirs,
    ...extraDirs,
    ...(POSTGRES_TOOLS.has(name) ? postgresBinDirs() : []),
    '/usr/sbin',
    '/usr/bin',
  ];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Like {@link findBinary}, but throws {@link MissingBinaryError} with the install command when it is missing. */
export function requireBinary(name: string, extraDirs: string[] = []): string {
  const found = findBinary(name, extraDirs);
  if (found === undefined) {
    throw new MissingBinaryError(name, INSTALL_HINTS[name] ?? `sudo apt-get install -y ${name}`);
  }
  return found;
}
