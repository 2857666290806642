import type { StreamhouseClient } from './client.js';
import type { StreamhouseMetadataStore } from './metadata-store.js';

/** The typed clients of one Streamhouse instance, handed to Streamhouse workflows through their context. */
export interface StreamhouseClients {
  /** HTTP APIs: health, agents, metrics, schema registry, and Prometheus when configured. */
  readonly streamhouse: StreamhouseClient;
  /** Read-only access to the Postgres metadata store (plus the guarded lease reset). */
  readonly metadata: StreamhouseMetadataStore;
}
