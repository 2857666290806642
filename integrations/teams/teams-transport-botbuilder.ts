/**
 * The only module that imports `botbuilder`. Everything else in integrations/teams works on plain activity JSON and
 * our core types, so that moving to the Teams SDK (botbuilder is archived upstream, platforms.md §2.1) replaces this
 * file alone. It does two things botbuilder is trusted for: validating the Bot Framework JWT of an inbound activity
 * (CloudAdapter + ConfigurationBotFrameworkAuthentication: issuer, signature, audience = our app id, the
 * `serviceurl` claim = the activity's serviceUrl, endorsements), and getting the app's token for outbound connector
 * calls (SingleTenant password or user-assigned managed identity).
 */
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  INVOKE_RESPONSE_KEY,
  type Activity,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from 'botbuilder';
import type { TeamsSettings } from './teams-settings.js';

/** The HTTP answer of an invoke activity (status and JSON body). */
export interface TeamsInvokeResponse {
  readonly status: number;
  readonly body?: unknown;
}

/** The inbound request is not from the Bot Framework for this app (HTTP 401). */
export class TeamsAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TeamsAuthError';
  }
}

/** Authentication could not be decided right now (the OpenID metadata could not be fetched): HTTP 503. */
export class TeamsAuthUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TeamsAuthUnavailableError';
  }
}

export interface BotFrameworkOptions {
  /** `jwt` or `unauthenticated` settings (an `off` route never gets here). */
  readonly settings: Extract<TeamsSettings, { mode: 'jwt' | 'unauthenticated' }>;
  /**
   * Tests only: the OpenID metadata document of the channel's signing keys (default
   * `https://login.botframework.com/v1/.well-known/openidconfiguration`).
   */
  readonly openIdMetadataUrl?: string;
  /** Clock for the token-lifetime pre-check, ms. */
  readonly now?: () => number;
}

export interface BotFramework {
  /** True when inbound JWTs are checked and outbound calls are signed. */
  readonly authEnabled: boolean;
  /**
   * Authenticates `activity` (already shape-checked JSON) with its `Authorization` header, then runs `logic` and
   * returns the invoke response it produced (undefined for other activity types). Throws {@link TeamsAuthError}
   * (answer 401) or {@link TeamsAuthUnavailableError} (503) before `logic` runs; rethrows what `logic` throws.
   */
  process(
    authorization: string,
    activity: Record<string, unknown>,
    logic: () => Promise<TeamsInvokeResponse | undefined>,
  ): Promise<TeamsInvokeResponse | undefined>;
  /** The `Authorization` header for connector calls to `serviceUrl`, or undefined when authentication is off. */
  authorizationFor(serviceUrl: string): Promise<string | undefined>;
}

/** Bot Framework channel tokens: 5 minutes of clock tolerance (platforms.md §2.2). */
const CLOCK_TOLERANCE_S = 5 * 60;

/** CloudAdapter with its turn pipeline exposed without the HTTP layer (whose error path logs whole stack traces). */
class RunbookCloudAdapter extends CloudAdapter {
  run(authorization: string, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(authorization, activity, logic);
  }

  async tokenFor(appId: string, serviceUrl: string): Promise<string> {
    const factory = this.botFrameworkAuthentication.createConnectorFactory(this.createClaimsIdentity(appId));
    const client = await factory.create(serviceUrl, undefined);
    // Every credential type botbuilder creates here (password, managed identity) is an AppCredentials.
    const credentials = client.credentials as unknown as { getToken(forceRefresh?: boolean): Promise<string> };
    return credentials.getToken();
  }
}

function configOf(o: BotFrameworkOptions): ConfigurationBotFrameworkAuthenticationOptions {
  const s = o.settings;
  const base: Record<string, string> =
    s.mode === 'jwt'
      ? {
          MicrosoftAppId: s.appId,
          MicrosoftAppType: s.appType,
          ...(s.tenantId ? { MicrosoftAppTenantId: s.tenantId } : {}),
          ...(s.appPassword ? { MicrosoftAppPassword: s.appPassword.reveal() } : {}),
        }
      : // Empty app id: botbuilder disables authentication (anonymous claims, unsigned outbound calls).
        { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant' };
  if (!o.openIdMetadataUrl) return base;
  // Any parameterized key switches botbuilder to "all parameters are intentional": give the public-cloud values.
  return {
    ...base,
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    OAuthUrl: 'https://api.botframework.com',
    ToBotFromChannelOpenIdMetadataUrl: o.openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl:
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    CallerId: 'urn:botframework:azure',
  };
}

/**
 * The token's `exp`/`nbf`, checked before botbuilder sees it: botbuilder prints an expired token's error with its
 * stack to the console. Not a security check (botbuilder verifies the signature and lifetime again).
 */
function isOutsideLifetime(authorization: string, nowMs: number): boolean {
  const token = /^Bearer\s+(\S+)$/.exec(authorization)?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown; nbf?: unknown };
    const now = nowMs / 1000;
    if (typeof claims.exp === 'number' && claims.exp + CLOCK_TOLERANCE_S < now) return true;
    if (typeof claims.nbf === 'number' && claims.nbf - CLOCK_TOLERANCE_S > now) return true;
  } catch {
    return false;
  }
  return false;
}

/** Builds the Bot Framework edge: inbound JWT validation and outbound tokens. */
export function createBotFramework(o: BotFrameworkOptions): BotFramework {
  const adapter = new RunbookCloudAdapter(new ConfigurationBotFrameworkAuthentication(configOf(o)));
  const appId = o.settings.mode === 'jwt' ? o.settings.appId : undefined;
  const now = o.now ?? Date.now;
  return {
    authEnabled: appId !== undefined,
    async process(authorization, activity, logic) {
      if (appId !== undefined && isOutsideLifetime(authorization, now())) {
        throw new TeamsAuthError('the token has expired or is not valid yet');
      }
      let logicFailed = false;
      let logicError: unknown;
      try {
        return await adapter.run(authorization, activity as unknown as Activity, async (context) => {
          try {
            const response = await logic();
            if (response) context.turnState.set(INVOKE_RESPONSE_KEY, { type: 'invokeResponse', value: response });
          } catch (err) {
            logicFailed = true;
            logicError = err;
            throw err;
          }
        });
      } catch (err) {
        if (logicFailed) throw logicError;
        const e = err as { statusCode?: unknown; message?: unknown; name?: unknown };
        const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 200) : 'unauthorized';
        // AuthenticationError carries a status: 401 for a bad token, 500 when the signing keys could not be loaded.
        if (e.statusCode === 500 || e.name === 'FetchError') throw new TeamsAuthUnavailableError(message);
        throw new TeamsAuthError(message);
      }
    },
    async authorizationFor(serviceUrl) {
      if (appId === undefined) return undefined;
      try {
        return `Bearer ${await adapter.tokenFor(appId, serviceUrl)}`;
      } catch (err) {
        // MSAL errors can carry request details; keep only the first line of the message.
        const message = (err as Error)?.message?.split('\n')[0]?.slice(0, 200) ?? 'unknown error';
        throw new Error(`could not get a Bot Framework token for the app: ${message}`);
      }
    },
  };
}
