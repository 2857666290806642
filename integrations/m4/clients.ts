import type { M4Client } from './client.js';
import type { M4Database } from './db.js';

/** The typed clients of one M4 deployment, handed to M4 workflows through their context. */
export interface M4Clients {
  /** The HTTP API (the run's SSE stream). */
  readonly api: M4Client;
  /** M4's Postgres: read-only checks, plus the two writes of the `nudge` and `cancel-run` fixes. */
  readonly db: M4Database;
}
