/**
 * Hostile strings for the injection and redaction suites, and the checks that what a chat platform received is inert:
 * a broadcast, a user mention, a link with its own label, a Teams mention tag, markdown formatting and a link.
 */

/** Every string a target, an alert or a user might send to make the bot ping, link or format. */
export const HOSTILE =
  'Q <!channel> <https://evil.example|click me> <@U0EVIL> <at>Eve</at> *bold* [x](https://evil.example)';

/** Raw Slack control sequences that must never reach Slack from target/alert/user text. */
export const SLACK_ACTIVE = ['<!channel>', '<https://evil.example', '<@U0EVIL>', '<!here>', '<!everyone>'];

/** Their escaped, inert forms (what Slack shows as typed). */
export const SLACK_INERT = ['&lt;!channel&gt;', '&lt;https://evil.example|click me&gt;', '&lt;@U0EVIL&gt;'];

/** Raw markup that must never reach Teams in a text message (`textFormat: xml`). */
export const TEAMS_ACTIVE = ['<at>Eve</at>', '<https://evil.example', '<a '];

/** Every string anywhere in a JSON value (texts, blocks, card bodies). */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** Which of `needles` occur in any string of `value`. */
export function found(value: unknown, needles: readonly string[]): string[] {
  const all = stringsOf(value).join('\n');
  return needles.filter((n) => all.includes(n));
}
