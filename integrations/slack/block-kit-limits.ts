import type { KnownBlock, MrkdwnElement, PlainTextElement } from '@slack/types';
import { formatNumber } from '../../src/core/format.js';

/**
 * Block Kit limits, enforced by the helpers below so a rendered message is never rejected by Slack.
 * Sources: https://docs.slack.dev/reference/block-kit/blocks and the JSDoc of `@slack/types`
 * (`block-kit/blocks.ts`, `block-elements.ts`, `composition-objects.ts`).
 */
export const BLOCK_KIT_LIMITS = {
  /** Blocks per message (100 only in modals and the Home tab). */
  blocksPerMessage: 50,
  /** Any text object (`section.text`, context elements): 1..3,000 characters. */
  text: 3000,
  /** `header.text`. */
  headerText: 150,
  /** Elements in one `context` block. */
  contextElements: 10,
  /** Elements in one `actions` block. */
  actionsElements: 25,
  /** `action_id` and `block_id`. */
  actionId: 255,
  blockId: 255,
  /** Button `text` (it truncates visually near 30) and `value`. */
  buttonText: 75,
  buttonValue: 2000,
  /** Confirmation dialog: title, text, confirm/deny button texts. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /**
   * Our own budget for the whole `blocks` array, measured as its JSON length. Slack rejects messages with
   * `msg_blocks_too_long` near 12-13k characters even when every per-field limit holds, and summing only the `text`
   * fields is not a safe measure (https://github.com/slackapi/bolt-js/issues/2509, #2867); the JSON length is an
   * upper bound of any such count.
   */
  messageChars: 11_000,
  /** Our own cap for the top-level notification `text` (Slack truncates at 40,000; notifications need one line). */
  fallbackText: 500,
} as const;

/** Escapes the three characters Slack mrkdwn treats as control characters (`<!channel>`, `<url|x>`, entities). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Collapses whitespace runs (newlines included) to one space: for one-line plain texts (header, buttons). */
export function toOneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface TruncateTextOptions {
  /** The text is escaped mrkdwn: never cut inside `&amp;`/`&lt;`/`&gt;`, and count hidden characters unescaped. */
  readonly mrkdwn?: boolean;
}

const ELLIPSIS = '…';

function truncationNote(hidden: number): string {
  return `${ELLIPSIS} (${formatNumber(hidden)} more characters)`;
}

/** Moves a cut index back so it does not split a surrogate pair or (in mrkdwn) an entity. */
function safeCut(text: string, cut: number, mrkdwn: boolean): number {
  let k = Math.max(0, Math.min(cut, text.length));
  if (k > 0 && k < text.length) {
    const code = text.charCodeAt(k - 1);
    if (code >= 0xd800 && code <= 0xdbff) k -= 1;
  }
  if (mrkdwn) {
    const amp = text.lastIndexOf('&', k - 1);
    if (amp >= 0 && k - amp < 5) {
      const semi = text.indexOf(';', amp);
      if (semi >= k) k = amp;
    }
  }
  return k;
}

/**
 * Returns `text` unchanged when it fits in `max` characters (UTF-16 code units, which is never less than what Slack
 * counts); otherwise cuts it and appends `… (N more characters)`, N being the hidden part. When even the note does not
 * fit (`max` under ~30), cuts hard and ends with `…`. The result is never longer than `max`.
 */
export function truncateText(text: string, max: number, options: TruncateTextOptions = {}): string {
  const limit = Math.max(0, Math.floor(max));
  if (text.length <= limit) return text;
  const mrkdwn = options.mrkdwn ?? false;
  // The note is longest when N is largest (the whole text hidden), so reserving that length always suffices.
  const reserve = truncationNote(mrkdwn ? unescapeMrkdwn(text).length : text.length).length;
  const keep = limit - reserve;
  if (keep >= 1) {
    const cut = safeCut(text, keep, mrkdwn);
    const rest = text.slice(cut);
    const hidden = mrkdwn ? unescapeMrkdwn(rest).length : rest.length;
    return `${text.slice(0, cut).trimEnd()}${truncationNote(hidden)}`;
  }
  if (limit === 0) return '';
  return `${text.slice(0, safeCut(text, limit - ELLIPSIS.length, mrkdwn))}${ELLIPSIS}`;
}

/** A `plain_text` object (emoji shortcodes rendered), truncated to `max`; never empty (Slack requires 1+). */
export function plainText(text: string, max: number = BLOCK_KIT_LIMITS.text): PlainTextElement {
  return { type: 'plain_text', text: truncateText(text, max) || ' ', emoji: true };
}

/**
 * A `mrkdwn` object from already-escaped mrkdwn, truncated to `max`; never empty. `verbatim: true` stops Slack from
 * auto-linking channel names and parsing mentions in text that came from a target system.
 */
export function mrkdwnText(escapedMrkdwn: string, max: number = BLOCK_KIT_LIMITS.text): MrkdwnElement {
  return { type: 'mrkdwn', text: truncateText(escapedMrkdwn, max, { mrkdwn: true }) || ' ', verbatim: true };
}

/** The size a block counts for against {@link BLOCK_KIT_LIMITS.messageChars}: its JSON length. */
export function measureBlock(block: KnownBlock): number {
  return JSON.stringify(block).length;
}

/** The JSON length of a whole `blocks` array. */
export function measureBlocks(blocks: readonly KnownBlock[]): number {
  return JSON.stringify(blocks).length;
}

/** Blocks that are kept or dropped together (a finding's section and its buttons). */
export interface BlockGroup<Meta> {
  /**
   * Renderings from richest to most compact, computed once and only when the group is considered. With several,
   * the first (richest) is used only if room is left once every group that fits is shown; see {@link fitBlockGroups}.
   */
  readonly render: () => readonly (readonly KnownBlock[])[];
  /** Lower is more important. Groups are considered in (required, priority, position) order. */
  readonly priority: number;
  /** Kept whatever the budget (header, footer): keep them small. */
  readonly required?: boolean;
  /** What the group shows, handed to `notice` when it is left out. */
  readonly meta: Meta;
}

export interface FitBlockGroupsOptions<Meta> {
  /** Builds the final context block naming what was left out; called only when something was. */
  readonly notice: (omitted: readonly Meta[]) => KnownBlock;
  /** Defaults to {@link BLOCK_KIT_LIMITS.blocksPerMessage}. */
  readonly maxBlocks?: number;
  /** Defaults to {@link BLOCK_KIT_LIMITS.messageChars}. */
  readonly maxChars?: number;
}

export interface FittedBlocks<Meta> {
  readonly blocks: KnownBlock[];
  readonly omitted: readonly Meta[];
}

/**
 * Room kept for the "N more not shown" notice while choosing groups. A larger notice makes the least important shown
 * groups give way too; one that never fits is replaced by a bare count.
 */
const NOTICE_RESERVE_CHARS = 300;

function bareNotice(count: number): KnownBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${formatNumber(count)} more items not shown (message size limit)` }],
  };
}

/**
 * Chooses which groups to show so the message stays within the block count and character budget, keeping the
 * display order of `groups`. Breadth first: groups are taken by importance, each in the richest of its compact
 * variants that still fits; at the first group that fits in none, it and every less important group are left out
 * (nothing shown is less important than something hidden) and a final notice block says what was left out. Then,
 * depth: the room left upgrades the most important groups to their richest variant that fits.
 */
export function fitBlockGroups<Meta>(
  groups: readonly BlockGroup<Meta>[],
  options: FitBlockGroupsOptions<Meta>,
): FittedBlocks<Meta> {
  const maxBlocks = options.maxBlocks ?? BLOCK_KIT_LIMITS.blocksPerMessage;
  const maxChars = options.maxChars ?? BLOCK_KIT_LIMITS.messageChars;
  // Budget net of the notice; `[` `]` and one comma per block are the array's own JSON.
  let blocksLeft = maxBlocks - 1;
  let charsLeft = maxChars - NOTICE_RESERVE_CHARS - 2;
  const cost = (blocks: readonly KnownBlock[]): number => blocks.reduce((sum, b) => sum + measureBlock(b) + 1, 0);

  const order = groups
    .map((group, index) => ({ group, index }))
    .sort(
      (a, b) =>
        Number(b.group.required ?? false) - Number(a.group.required ?? false) ||
        a.group.priority - b.group.priority ||
        a.index - b.index,
    );
  const chosen = new Map<number, readonly KnownBlock[]>();
  const rendered = new Map<number, readonly (readonly KnownBlock[])[]>();
  const level = new Map<number, number>();
  const omitted: { meta: Meta; index: number }[] = [];
  const fits = (blocks: readonly KnownBlock[], freedBlocks = 0, freedChars = 0): boolean =>
    blocks.length <= blocksLeft + freedBlocks && cost(blocks) <= charsLeft + freedChars;
  const take = (index: number, blocks: readonly KnownBlock[], variant: number): void => {
    const previous = chosen.get(index) ?? [];
    blocksLeft += previous.length - blocks.length;
    charsLeft += cost(previous) - cost(blocks);
    chosen.set(index, blocks);
    level.set(index, variant);
  };

  // Pass 1, breadth: as many groups as fit, each in the richest of its compact variants (all but the first when it
  // has several), most important first; stop at the first group that fits in none.
  let stopped = false;
  for (const { group, index } of order) {
    if (stopped && !group.required) {
      omitted.push({ meta: group.meta, index });
      continue;
    }
    const variants = group.render();
    rendered.set(index, variants);
    const start = variants.length > 1 ? 1 : 0;
    const found = variants.findIndex((v, i) => i >= start && fits(v));
    const pick = found >= 0 ? variants[found] : undefined;
    if (pick) {
      take(index, pick, found);
    } else if (group.required) {
      // Required groups are small by construction; still, never let one break the limits.
      const last = variants.at(-1)?.slice(0, Math.max(0, blocksLeft)) ?? [];
      take(index, fits(last) ? last : [], variants.length - 1);
    } else {
      stopped = true;
      omitted.push({ meta: group.meta, index });
    }
  }

  if (omitted.length === 0) {
    // No notice needed: its room is free for pass 2.
    blocksLeft += 1;
    charsLeft += NOTICE_RESERVE_CHARS;
  }

  // Pass 2, depth: with what is left, give the most important groups their richer variants.
  for (const { index } of order) {
    const variants = rendered.get(index);
    const current = chosen.get(index);
    const at = level.get(index);
    if (!variants || !current || at === undefined) continue;
    const better = variants.findIndex((v, i) => i < at && fits(v, current.length, cost(current)));
    const pick = better >= 0 ? variants[better] : undefined;
    if (pick) take(index, pick, better);
  }

  // Least important last, so `pop()` gives up the group that matters least.
  const chosenOrder = order.filter(({ group, index }) => chosen.has(index) && !group.required);
  const assemble = (notice?: KnownBlock): KnownBlock[] => {
    const blocks = groups.flatMap((_, index) => [...(chosen.get(index) ?? [])]);
    if (notice) blocks.push(notice);
    return blocks;
  };
  const omittedMeta = (): Meta[] => [...omitted].sort((a, b) => a.index - b.index).map((o) => o.meta);
  if (omitted.length === 0) return { blocks: assemble(), omitted: [] };
  for (;;) {
    const metas = omittedMeta();
    const blocks = assemble(options.notice(metas));
    if (blocks.length <= maxBlocks && measureBlocks(blocks) <= maxChars) return { blocks, omitted: metas };
    const last = chosenOrder.pop();
    if (!last) return { blocks: assemble(bareNotice(metas.length)), omitted: metas };
    // The notice is bigger than the room kept for it: the least important shown group gives way.
    chosen.delete(last.index);
    omitted.push({ meta: last.group.meta, index: last.index });
  }
}
