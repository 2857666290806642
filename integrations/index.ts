import type { TargetIntegration } from '../src/core/system.js';
import { corvoIntegration } from './corvo/index.js';

/** Every target system's integration, one line per system. */
export const integrations: readonly TargetIntegration<never, never>[] = [
  corvoIntegration as unknown as TargetIntegration<never, never>,
];
