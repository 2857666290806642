/** Where a command came from and where its answer goes. */
export type Platform = 'slack' | 'teams' | 'terminal';

/** Who asked. `userId` is the platform's stable id (Slack `U…`, Teams AAD object id). */
export interface Actor {
  readonly platform: Platform;
  readonly userId: string;
  /** Display name when the platform gave one; never used for authorization. */
  readonly name?: string;
}

/** Where the answer is posted. */
export interface Conversation {
  readonly platform: Platform;
  /** Slack channel id, Teams conversation id, `terminal` for the demo. */
  readonly channelId: string;
  /** Post as a reply in this thread (Slack `thread_ts`) when set. */
  readonly threadId?: string;
  /** Slack team / Teams tenant. */
  readonly teamId?: string;
}

/**
 * A resolved command, ready to run: what sits in BullMQ job data. Holds ids and parsed references only — never a
 * token, a response URL or the raw text the user typed (job data sits in Redis in clear text).
 */
export interface Invocation {
  /** Unique id, shown to the user and used to correlate logs and audit rows. */
  readonly invocationId: string;
  /** Target system id (`corvo`). */
  readonly system: string;
  /** Workflow id within the system (`health`). */
  readonly workflow: string;
  /** Configured instance name (`prod`). */
  readonly target: string;
  /** Parsed arguments by name (`{ queue: "emails" }`). */
  readonly args: Readonly<Record<string, string>>;
  readonly actor: Actor;
  readonly conversation: Conversation;
  /** ISO-8601. */
  readonly requestedAt: string;
}
