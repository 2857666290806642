/**
 * The value syntax of an `alerts.<source>[].match` key (CONTRACT.md § Config file): read here once for the config
 * check at load and for the router (src/alerts/route-alert.ts) that applies it.
 */
const REGEX_VALUE = /^\/(.*)\/([dgimsuvy]*)$/s;

/** `/regex/flags` → RegExp, or undefined for a plain value. Throws on an invalid expression (checked at config load). */
export function parseMatchValue(value: string): RegExp | undefined {
  const m = REGEX_VALUE.exec(value);
  if (!m) return undefined;
  // `g`/`y` make .test() stateful; they mean nothing for a match.
  return new RegExp(m[1]!, m[2]!.replace(/[gy]/g, ''));
}
