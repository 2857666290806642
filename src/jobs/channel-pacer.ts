import type { Redis } from 'ioredis';

/** How fast the bot may post into one channel. */
export interface PacingOptions {
  /** Sustained rate, messages per second per channel. Slack: about 1 (platforms.md §1.7). */
  readonly messagesPerSecond: number;
  /** Messages that may go at once after a quiet spell (Slack allows short bursts). */
  readonly burst: number;
}

/** Default: Slack's ~1 message per second per channel, with a burst of 3 so a root, a note and a report go at once. */
export const DEFAULT_PACING: PacingOptions = { messagesPerSecond: 1, burst: 3 };

/**
 * GCRA with reservations, in one Lua script so that every web and worker process shares one schedule per channel.
 * KEYS[1]: the channel's schedule (theoretical arrival time, ms); KEYS[2]: this holder's reservation (ms);
 * KEYS[3]: the same limit applied to what was actually let through. ARGV: interval ms, burst tolerance ms.
 * Returns the wait in ms (0 = go now). Time comes from Redis (`TIME`), so the processes' clocks do not matter.
 * A holder that comes back after waiting redeems its reservation instead of taking a new slot (no stampede of
 * delayed jobs); the second limit keeps holders that come back late together (a busy worker) from going out in a
 * burst: they are spaced again.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local function let_through()
  local sent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if sent < now then sent = now end
  local allowed = sent - tolerance
  if allowed > now then return allowed - now end
  redis.call('SET', KEYS[3], sent + interval, 'PX', sent + interval - now + 60000)
  return 0
end
local reserved = redis.call('GET', KEYS[2])
if reserved then
  reserved = tonumber(reserved)
  if reserved > now then return reserved - now end
  local wait = let_through()
  if wait == 0 then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], now + wait, 'PX', wait + 600000) end
  return wait
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed = tat - tolerance
local nextTat = tat + interval
redis.call('SET', KEYS[1], nextTat, 'PX', nextTat - now + 60000)
if allowed <= now then
  local wait = let_through()
  if wait > 0 then redis.call('SET', KEYS[2], now + wait, 'PX', wait + 600000) end
  return wait
end
redis.call('SET', KEYS[2], allowed, 'PX', allowed - now + 600000)
return allowed - now
`;

/** Pushes the channel's schedule at least `ms` into the future (a 429 `Retry-After` applies to every sender). */
const PENALIZE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
for i = 1, 2 do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < until_ then redis.call('SET', KEYS[i], until_, 'PX', until_ - now + 60000) end
end
return 0
`;

export interface ChannelPacer {
  /**
   * Takes (or, for a holder that already waited, redeems) a slot in the channel's schedule. Returns how long to wait
   * before posting, ms; 0 means post now. `holderId` is the job id: stable across the job's delays.
   */
  acquire(channelKey: string, holderId: string): Promise<number>;
  /** The platform said "slow down" for `ms`: nobody posts into this channel before then. */
  penalize(channelKey: string, ms: number): Promise<void>;
}

type PacerRedis = Redis & {
  rbbPaceAcquire?(tat: string, holder: string, sent: string, interval: number, tolerance: number): Promise<number>;
  rbbPacePenalize?(tat: string, sent: string, ms: number, tolerance: number): Promise<number>;
};

/**
 * Per-channel pacing of outbound chat messages, shared by every process through Redis. Keys live under
 * `<prefix>:pace:`; reservations expire on their own.
 */
export function createChannelPacer(
  redis: Redis,
  prefix: string,
  options: PacingOptions = DEFAULT_PACING,
): ChannelPacer {
  const r = redis as PacerRedis;
  if (!r.rbbPaceAcquire) r.defineCommand('rbbPaceAcquire', { numberOfKeys: 3, lua: ACQUIRE });
  if (!r.rbbPacePenalize) r.defineCommand('rbbPacePenalize', { numberOfKeys: 2, lua: PENALIZE });
  const interval = Math.max(1, Math.round(1000 / options.messagesPerSecond));
  const tolerance = Math.max(0, Math.round(options.burst) - 1) * interval;
  const tatKey = (channelKey: string) => `${prefix}:pace:${channelKey}`;
  const sentKey = (channelKey: string) => `${prefix}:pace-sent:${channelKey}`;
  return {
    async acquire(channelKey, holderId) {
      const wait = await r.rbbPaceAcquire!(
        tatKey(channelKey),
        `${prefix}:pace-hold:${holderId}`,
        sentKey(channelKey),
        interval,
        tolerance,
      );
      return Number(wait);
    },
    async penalize(channelKey, ms) {
      await r.rbbPacePenalize!(tatKey(channelKey), sentKey(channelKey), Math.max(0, Math.round(ms)), tolerance);
    },
  };
}

/** The pacing key of a chat destination. */
export function channelKeyOf(conversation: { platform: string; channelId: string }): string {
  return `${conversation.platform}:${conversation.channelId}`;
}
