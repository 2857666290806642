/**
 * Splits what followed a command into words: on whitespace, with double or single quotes grouping words (the quotes
 * are dropped; an unclosed quote is an ordinary character).
 */
export function tokenizeCommand(text: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
  return tokens;
}
