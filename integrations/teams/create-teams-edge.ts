import { createConnector, type Connector } from './teams-connector.js';
import { parseTeamsSettings, type TeamsEnv, type TeamsSettings } from './teams-settings.js';
import { createBotFramework, type BotFramework } from './teams-transport-botbuilder.js';

/** The Teams edge of one process: its settings and, when Teams is on, the Bot Framework and connector clients. */
export interface TeamsEdge {
  readonly settings: TeamsSettings;
  readonly botFramework?: BotFramework;
  readonly connector?: Connector;
  /** The bot's account id for new conversations when no stored reference names it (`28:<app id>`). */
  readonly botId: string;
}

export interface TeamsEdgeOptions {
  /** Connector attempts per call (the web keeps its answers fast: fewer). Default 4. */
  readonly connectorAttempts?: number;
  readonly fetch?: typeof fetch;
}

/** Builds the Teams edge from the environment (see {@link parseTeamsSettings} for the modes). */
export function createTeamsEdge(env: TeamsEnv, o: TeamsEdgeOptions = {}): TeamsEdge {
  const settings = parseTeamsSettings(env);
  if (settings.mode === 'off') return { settings, botId: '' };
  const botFramework = createBotFramework({ settings });
  const connector = createConnector({
    authorizationFor: (serviceUrl) => botFramework.authorizationFor(serviceUrl),
    ...(o.connectorAttempts ? { attempts: o.connectorAttempts } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  const botId = `28:${settings.mode === 'jwt' ? settings.appId : 'runbook-bot'}`;
  return { settings, botFramework, connector, botId };
}
