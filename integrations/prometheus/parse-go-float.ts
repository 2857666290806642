// No nested or overlapping quantifiers: a failed match backtracks at most once per character, so a hostile
// 100k-digit token costs linear time.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/**
 * Reads a number the way Go's `strconv.ParseFloat` writes it in an exposition: decimals and exponents (`1e-05`,
 * `1.7560473e+07`, `.5`, `1.`), `NaN`, `+Inf`, `-Inf`, `Inf` (case-insensitive, `Infinity` too).
 *
 * Returns `undefined` instead of throwing, because callers turn a bad token into a `problems` entry and go on.
 * Hex floats (`0x1p-4`) and digit underscores are not accepted: no Prometheus client prints them.
 */
export function parseGoFloat(token: string): number | undefined {
  if (DECIMAL.test(token)) return Number(token);
  const inf = INFINITY.exec(token);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (token.toLowerCase() === 'nan') return NaN;
  return undefined;
}
