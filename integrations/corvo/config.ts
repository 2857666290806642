import { z } from 'zod';
import { Secret } from '../../src/core/secret.js';

/** One Corvo instance under `targets.corvo.<name>`. */
export const CorvoInstanceSchema = z.object({
  /** Base URL of a Corvo node's HTTP API, e.g. `http://10.0.0.11:8080` (Corvo's `--bind`, default `:8080`). */
  url: z.url({ protocol: /^https?$/ }),
  /**
   * API key, sent as `X-API-Key`. Optional: a Corvo without keys or admin password runs every request as admin.
   * A readonly key may only GET: enough for every check except `jobs-stuck-active`, whose job search is a POST
   * (403 with a readonly key); that check and every fix need an operator or admin key.
   */
  apiKey: z
    .string()
    .min(1)
    .transform((v) => new Secret(v))
    .optional(),
  /** Per-request timeout, ms. Default 5000. */
  timeoutMs: z.number().int().positive().max(60_000).default(5000),
});
export type CorvoInstanceConfig = z.infer<typeof CorvoInstanceSchema>;
