import type { ConnectorActivity } from './teams-connector.js';

/** The engine writes a few Slack-style emoji codes in its messages; Teams shows the characters instead. */
const EMOJI: Readonly<Record<string, string>> = {
  ':warning:': '⚠️',
  ':white_check_mark:': '✅',
  ':x:': '❌',
  ':hourglass_flowing_sand:': '⏳',
  ':no_entry_sign:': '🚫',
  ':gear:': '⚙️',
  ':information_source:': 'ℹ️',
  ':rotating_light:': '🚨',
  ':red_circle:': '🔴',
  ':large_yellow_circle:': '🟡',
  ':large_green_circle:': '🟢',
  ':white_circle:': '⚪',
};

/** Longest text message we send (Teams' ~28 KB limit applies to the whole activity; text is far below it). */
const MAX_TEXT = 8000;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A user to @mention at the start of the message (Teams id or Entra object id, and the display name). */
export interface TeamsMention {
  readonly id: string;
  readonly name: string;
}

/**
 * A plain-text message for Teams: sent as `textFormat: "xml"` with every `&`, `<` and `>` escaped (so nothing the
 * text contains is read as markup) and newlines as `<br>`; Slack emoji codes become characters. With `mention`, the
 * message starts with a real @mention of that user (a mention entity), so a refusal reaches the person who clicked.
 * Pure.
 */
export function renderTextMessage(text: string, mention?: TeamsMention): ConnectorActivity {
  const withEmoji = text.replace(/:[a-z_]+:/g, (code) => EMOJI[code] ?? code);
  const clipped = withEmoji.length > MAX_TEXT ? `${withEmoji.slice(0, MAX_TEXT - 1)}…` : withEmoji;
  const body = escapeXml(clipped).replace(/\r?\n/g, '<br>');
  if (!mention) return { type: 'message', textFormat: 'xml', text: body };
  const tag = `<at>${escapeXml(mention.name)}</at>`;
  return {
    type: 'message',
    textFormat: 'xml',
    text: `${tag} ${body}`,
    entities: [{ type: 'mention', text: tag, mentioned: { id: mention.id, name: mention.name } }],
  };
}
