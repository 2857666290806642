import { eraseIntegration, type TargetIntegration } from '../src/core/system.js';
import { corvoIntegration } from './corvo/index.js';
import { kyrodbIntegration } from './kyrodb/index.js';
import { m4Integration } from './m4/index.js';
import { streamhouseIntegration } from './streamhouse/index.js';
import { tryitnowIntegration } from './tryitnow/index.js';

/** Every target system's integration, one line per system. */
export const integrations: readonly TargetIntegration[] = [
  eraseIntegration(corvoIntegration),
  eraseIntegration(kyrodbIntegration),
  eraseIntegration(m4Integration),
  eraseIntegration(streamhouseIntegration),
  eraseIntegration(tryitnowIntegration),
];
