import type { Redis } from 'ioredis';

/** Deletes a key only if it still holds our token (a lock or marker that expired and was retaken is not ours). */
const DELETE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type GuardRedis = Redis & { rbbDeleteIfOwner?(key: string, owner: string): Promise<number> };

/**
 * Serializes the rendering of one chat target (an incident thread, a storm summary) across every worker process, and
 * coalesces its updates:
 * - `lock`: one job at a time talks to the chat platform about a target (Redis `SET NX PX`, released by owner only);
 * - `pending`: the job that reserved the target's next pacing slot and is waiting for it. Other jobs for the same
 *   target then stop: the pending job clears the marker *before* it reads the state, so it renders every change
 *   committed before any of them ran. Only the latest state is ever rendered, and a burst of updates to one target
 *   takes one slot, not one per update.
 */
export function createRenderGuard(redis: Redis, prefix: string) {
  const r = redis as GuardRedis;
  if (!r.rbbDeleteIfOwner) r.defineCommand('rbbDeleteIfOwner', { numberOfKeys: 1, lua: DELETE_IF_OWNER });
  const lockKey = (target: string) => `${prefix}:render-lock:${target}`;
  const pendingKey = (target: string) => `${prefix}:render-pending:${target}`;
  return {
    async lock(target: string, owner: string, ttlMs: number): Promise<boolean> {
      return (await r.set(lockKey(target), owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async unlock(target: string, owner: string): Promise<void> {
      await r.rbbDeleteIfOwner!(lockKey(target), owner);
    },
    /** The job waiting for this target's slot, if any. */
    async pendingHolder(target: string): Promise<string | null> {
      return r.get(pendingKey(target));
    },
    async setPending(target: string, owner: string, ttlMs: number): Promise<void> {
      await r.set(pendingKey(target), owner, 'PX', Math.max(1000, Math.round(ttlMs)));
    },
    async clearPending(target: string, owner: string): Promise<void> {
      await r.rbbDeleteIfOwner!(pendingKey(target), owner);
    },
  };
}

export type RenderGuard = ReturnType<typeof createRenderGuard>;
