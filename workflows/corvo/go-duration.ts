const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6, // U+00B5, what Go prints
  μs: 1e-6, // U+03BC, also accepted by Go's parser
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;

/**
 * Parses a Go `time.Duration` string as Corvo prints it in the cluster status (`"1m0s"`, `"100µs"`, `"8ms"`, and
 * `"+Inf"` for a histogram's last bucket) into seconds. Returns undefined for anything else, never throws.
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '0') return 0;
  let body = s;
  let sign = 1;
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  if (body === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(body); m !== null; m = PART.exec(body)) {
    const [whole, num, unit] = m;
    total += Number(num) * (UNIT_SECONDS[unit ?? ''] ?? NaN);
    consumed += whole.length;
  }
  if (consumed !== body.length || !Number.isFinite(total)) return undefined;
  return sign * total;
}
