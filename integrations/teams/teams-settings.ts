import type { Secret } from '../../src/core/secret.js';

/** The Bot Framework app types we accept (platforms.md §2.2). New Azure bots are SingleTenant or UserAssignedMsi. */
export type TeamsAppType = 'SingleTenant' | 'UserAssignedMsi' | 'MultiTenant';

/**
 * How the Teams route runs, decided once at start from the environment:
 * - `jwt`: `MICROSOFT_APP_ID` is set; every inbound activity needs a valid Bot Framework JWT and outbound calls are
 *   signed with the app's token;
 * - `unauthenticated`: no app id and `TEAMS_ALLOW_UNAUTHENTICATED=true` (tests, the demo): no JWT, unsigned calls;
 * - `off`: no app id (or an incomplete one): `/api/messages` answers 401 to everything and nothing posts to Teams.
 */
export type TeamsSettings =
  | {
      readonly mode: 'jwt';
      readonly appId: string;
      readonly appType: TeamsAppType;
      /** Absent for UserAssignedMsi (the managed identity has no password). */
      readonly appPassword?: Secret;
      readonly tenantId?: string;
    }
  | { readonly mode: 'unauthenticated' }
  | {
      readonly mode: 'off';
      /** Why, naming the settings to fix; logged at start. */
      readonly reason: string;
    };

/** The Teams part of the parsed environment (src/config/env.ts). */
export interface TeamsEnv {
  readonly MICROSOFT_APP_ID?: string;
  readonly MICROSOFT_APP_PASSWORD?: Secret;
  readonly MICROSOFT_APP_TYPE?: string;
  readonly MICROSOFT_APP_TENANT_ID?: string;
  readonly TEAMS_ALLOW_UNAUTHENTICATED: boolean;
}

const APP_TYPES: Readonly<Record<string, TeamsAppType>> = {
  singletenant: 'SingleTenant',
  userassignedmsi: 'UserAssignedMsi',
  multitenant: 'MultiTenant',
};

/**
 * Decides the Teams mode. A half-configured app id (SingleTenant without tenant or password, an unknown app type…)
 * turns Teams off rather than on without authentication: the route then refuses everything, and `reason` names
 * every setting to fix. Never includes a secret's value.
 */
export function parseTeamsSettings(env: TeamsEnv): TeamsSettings {
  const appId = env.MICROSOFT_APP_ID?.trim() ?? '';
  if (appId === '') {
    if (env.TEAMS_ALLOW_UNAUTHENTICATED) return { mode: 'unauthenticated' };
    return {
      mode: 'off',
      reason:
        'Teams is off: set MICROSOFT_APP_ID (with MICROSOFT_APP_TYPE, MICROSOFT_APP_TENANT_ID and MICROSOFT_APP_PASSWORD) ' +
        'to turn it on; /api/messages refuses every request until then',
    };
  }
  const problems: string[] = [];
  const rawType = env.MICROSOFT_APP_TYPE?.trim() ?? '';
  // botbuilder defaults an empty type to MultiTenant; Azure no longer creates multi-tenant bots, so say it.
  const appType = rawType === '' ? 'MultiTenant' : APP_TYPES[rawType.toLowerCase()];
  if (!appType) problems.push('MICROSOFT_APP_TYPE must be SingleTenant, UserAssignedMsi or MultiTenant');
  const tenantId = env.MICROSOFT_APP_TENANT_ID?.trim() || undefined;
  const password = env.MICROSOFT_APP_PASSWORD;
  const hasPassword = password !== undefined && password.reveal().trim() !== '';
  if ((appType === 'SingleTenant' || appType === 'UserAssignedMsi') && !tenantId) {
    problems.push(`MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE is ${appType}`);
  }
  if ((appType === 'SingleTenant' || appType === 'MultiTenant') && !hasPassword) {
    problems.push(`MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_TYPE is ${appType}`);
  }
  if (appType === 'UserAssignedMsi' && hasPassword) {
    problems.push('MICROSOFT_APP_PASSWORD must be empty when MICROSOFT_APP_TYPE is UserAssignedMsi');
  }
  if (problems.length > 0 || !appType) {
    return { mode: 'off', reason: `Teams is off until its settings are fixed: ${problems.join('; ')}` };
  }
  return {
    mode: 'jwt',
    appId,
    appType,
    ...(appType !== 'UserAssignedMsi' ? { appPassword: password } : {}),
    ...(tenantId ? { tenantId } : {}),
  };
}
