import type { KyroClient } from './client.js';

/** The typed clients of one KyroDB instance, handed to KyroDB workflows through their context. */
export interface KyroClients {
  readonly kyrodb: KyroClient;
}
