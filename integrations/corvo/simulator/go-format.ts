/**
 * Go's text formats, reproduced so the simulator prints what Corvo (a Go program) prints: `%g` floats in the
 * Prometheus exposition, `time.Duration.String()` in the cluster status, `time.RFC3339Nano` in JSON timestamps.
 */

/**
 * Go's `%g` / `strconv.FormatFloat(x, 'g', -1, 64)`: the shortest digits that round-trip, in `%e` form when the
 * decimal exponent is < -4 or >= 6 (Go uses 6 as the threshold for the shortest precision), with at least two
 * exponent digits (`5e-05`, `1.2e+06`).
 */
export function formatGoFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-trip digits, like Go's shortest formatting.
  const [mantissa = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // In this exponent range JavaScript's String() is plain positional notation with the same shortest digits.
  return String(x);
}

/** Go's `time.Duration.String()` for an integer number of nanoseconds: `0s`, `850ns`, `212µs`, `1.5ms`, `1m0s`. */
export function formatGoDuration(nanoseconds: number): string {
  let ns = Math.round(nanoseconds);
  if (ns === 0) return '0s';
  const neg = ns < 0;
  if (neg) ns = -ns;
  let out: string;
  if (ns < 1_000) out = `${ns}ns`;
  else if (ns < 1_000_000) out = `${fraction(ns, 3)}µs`;
  else if (ns < 1_000_000_000) out = `${fraction(ns, 6)}ms`;
  else {
    const hours = Math.floor(ns / 3_600_000_000_000);
    const rest = ns - hours * 3_600_000_000_000;
    const minutes = Math.floor(rest / 60_000_000_000);
    const secondsNs = rest - minutes * 60_000_000_000;
    out = `${fraction(secondsNs, 9)}s`;
    if (hours > 0 || minutes > 0) out = `${minutes}m${out}`;
    if (hours > 0) out = `${hours}h${out}`;
  }
  return neg ? `-${out}` : out;
}

/** `value / 10^digits`, printed with the fractional part's trailing zeros (and a bare dot) removed. */
function fraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const frac = String(value - whole * scale)
    .padStart(digits, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Go's `time.RFC3339Nano` in UTC: `2026-02-21T10:01:00Z`, `2026-02-21T10:02:11.5Z` (trailing zeros trimmed). */
export function formatRfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-02-21T10:02:11.500Z
  return iso.replace(/\.(\d{3})Z$/, (_m, frac: string) => {
    const trimmed = frac.replace(/0+$/, '');
    return trimmed ? `.${trimmed}Z` : 'Z';
  });
}
