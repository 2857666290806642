/** Longest chain of percent-encodings undone when looking for a hidden dot segment (`%252e%252e` is two). */
const MAX_DECODES = 4;

function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * True when `value`, used as a URL path segment, would name the current or parent directory: it is `.` or `..`, or
 * becomes so (or contains such a `/`- or `\`-separated piece) once percent-decoded, up to a few times over
 * (`%2e%2E`, `.%2e`, `%252e%252e`, `a/../b`, `..%5c`). URL parsers and proxies collapse those segments, so the
 * request would reach another path than the one intended.
 */
export function hasDotSegment(value: string): boolean {
  let text = value;
  for (let i = 0; i <= MAX_DECODES; i++) {
    if (text.split(/[/\\]/).some((piece) => piece === '.' || piece === '..')) return true;
    const next = decodeOnce(text);
    if (next === text) return false;
    text = next;
  }
  return true;
}
