import type { CorvoClient } from './client.js';

/** The typed clients of one Corvo instance, handed to Corvo workflows through their context. */
export interface CorvoClients {
  readonly corvo: CorvoClient;
}
