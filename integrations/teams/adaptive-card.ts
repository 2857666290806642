/**
 * Building blocks of the Adaptive Cards the bot posts to Teams (version 1.5, the highest Teams renders — platforms.md
 * §2.5). Text that did not come from us (findings, evidence, names, alert titles) is only ever put in `TextRun`s of a
 * `RichTextBlock`: those are plain text (no markdown), so a target's output cannot turn into links or formatting.
 */
import type { ConnectorActivity } from './teams-connector.js';

/** Content type of an Adaptive Card attachment. */
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export const TEAMS_LIMITS = {
  /**
   * Teams refuses a message larger than about 28 KB, everything included
   * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages).
   */
  activityBytes: 28_000,
  /** What a card may weigh, leaving room for the activity around it. */
  cardBytes: 24_000,
  /** Buttons per action set; Teams shows up to 6 before folding the rest into an overflow menu. */
  actionsPerSet: 5,
  /** Button title. */
  buttonTitle: 40,
  /** Notification text of a card message. */
  summary: 200,
} as const;

/** An Adaptive Card element or action as JSON. */
export type CardElement = { readonly type: string } & Record<string, unknown>;

/** An Adaptive Card 1.5 as posted to Teams. */
export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly version: '1.5';
  readonly body: CardElement[];
  readonly actions?: CardElement[];
  /** Teams extension: use the whole width of the message pane. */
  readonly msteams?: { readonly width: 'Full' };
}

/** A card and the notification text Teams shows for it. */
export interface TeamsCardMessage {
  readonly card: AdaptiveCard;
  /** Plain text, one line: the message preview and notification. */
  readonly summary: string;
}

export interface TextRunOptions {
  readonly weight?: 'Bolder' | 'Lighter';
  readonly size?: 'Small' | 'Medium' | 'Large' | 'ExtraLarge';
  readonly color?: 'Good' | 'Warning' | 'Attention' | 'Accent';
  readonly isSubtle?: boolean;
  readonly italic?: boolean;
  readonly fontType?: 'Monospace';
}

/** A plain-text run (never markdown). */
export function textRun(text: string, o: TextRunOptions = {}): CardElement {
  return { type: 'TextRun', text, ...o };
}

/** A paragraph of runs. Empty runs are dropped; a paragraph with nothing left is a single space. */
export function richText(
  runs: readonly CardElement[],
  o: { readonly spacing?: 'None' | 'Small' | 'Medium'; readonly separator?: boolean } = {},
): CardElement {
  const inlines = runs.filter((r) => typeof r.text === 'string' && r.text !== '');
  return { type: 'RichTextBlock', inlines: inlines.length ? inlines : [textRun(' ')], ...o };
}

/** A new card around `body`. */
export function adaptiveCard(body: CardElement[], actions?: CardElement[]): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions && actions.length ? { actions } : {}),
    msteams: { width: 'Full' },
  };
}

/** Collapses whitespace (including newlines) to single spaces. */
export function toOneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `1,234`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Does not split a UTF-16 surrogate pair at `end`. */
function safeCut(text: string, end: number): number {
  if (end > 0 && end < text.length) {
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) return end - 1;
  }
  return end;
}

/**
 * Cuts `text` to at most `max` characters, ending with "… (N more characters)" that counts exactly what was hidden
 * (a bare "…" when the note does not fit).
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  for (let keep = max - 1; keep > 0; keep--) {
    const cut = safeCut(text, keep);
    const note = `… (${formatCount(text.length - cut)} more characters)`;
    if (cut + note.length <= max) return text.slice(0, cut) + note;
    if (note.length >= max) break;
  }
  return `${text.slice(0, safeCut(text, max - 1))}…`;
}

/** UTF-8 size of a value as JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** A message activity carrying one card. */
export function cardActivity(message: TeamsCardMessage): ConnectorActivity {
  return {
    type: 'message',
    summary: message.summary,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: message.card }],
  };
}

/** A group of card elements that can be shown in full, in shorter variants, or left out. */
export interface ElementGroup<M> {
  /** Lower shows first when the card is short of room. */
  readonly priority: number;
  /** Always shown (its last variant). */
  readonly required?: boolean;
  readonly meta: M;
  /** Renderings from the fullest to the shortest. */
  readonly variants: readonly (readonly CardElement[])[];
}

/**
 * Keeps as much as fits in `budgetBytes`: required groups first, then by priority, each in the fullest variant that
 * fits; the rest are left out and `notice(omitted)` (added last) says what. Returns the elements in display order.
 */
export function fitElementGroups<M>(
  groups: readonly ElementGroup<M>[],
  budgetBytes: number,
  notice: (omitted: readonly M[]) => CardElement,
): { elements: CardElement[]; omitted: M[] } {
  const size = (els: readonly CardElement[]) => els.reduce((n, e) => n + jsonBytes(e) + 1, 0);
  const chosen = new Map<number, readonly CardElement[]>();
  let used = 0;
  groups.forEach((g, i) => {
    if (!g.required) return;
    const last = g.variants[g.variants.length - 1] ?? [];
    chosen.set(i, last);
    used += size(last);
    // Upgrade a required group to its fuller variant when it fits (header lines are short).
    for (const v of g.variants) {
      if (v === last) break;
      if (used - size(last) + size(v) <= budgetBytes / 2) {
        used += size(v) - size(last);
        chosen.set(i, v);
        break;
      }
    }
  });
  // Room for the notice, sized for large numbers.
  const reserve = jsonBytes(notice(groups.map((g) => g.meta))) + 64;
  const order = groups
    .map((g, i) => ({ g, i }))
    .filter(({ g }) => !g.required)
    .sort((a, b) => a.g.priority - b.g.priority || a.i - b.i);
  const omitted: M[] = [];
  for (const { g, i } of order) {
    const fit = g.variants.find((v) => used + size(v) + reserve <= budgetBytes);
    if (fit) {
      chosen.set(i, fit);
      used += size(fit);
    } else {
      omitted.push(g.meta);
    }
  }
  const elements: CardElement[] = [];
  groups.forEach((_g, i) => {
    const els = chosen.get(i);
    if (els) elements.push(...els);
  });
  if (omitted.length > 0) elements.push(notice(omitted));
  return { elements, omitted };
}
