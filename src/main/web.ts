import { boot, onShutdown } from './boot.js';
import { createWeb } from './create-web.js';

const { env, config, logger } = boot('web');
const web = createWeb({ env, config, logger });
web.server.listen(env.PORT, () => logger.info({ port: env.PORT }, 'web listening'));
onShutdown(logger, () => web.close());
