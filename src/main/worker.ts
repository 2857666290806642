import { boot, onShutdown } from './boot.js';
import { createWorker } from './create-worker.js';

const { env, config, logger } = boot('worker');
const worker = createWorker({ env, config, logger });
logger.info({}, 'worker started');
onShutdown(logger, () => worker.close());
