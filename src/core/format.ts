/** Number formatting for evidence lines: `14,210`, `1.5 s`, `212 µs`. Locale-independent (en-US grouping). */
const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `14210` → `14,210`; `0.1234` → `0.12`. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return grouping.format(n);
}

/** Seconds as a short human duration: `0.000212` → `212 µs`, `0.05` → `50 ms`, `75` → `1 min 15 s`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const abs = Math.abs(seconds);
  if (abs < 1e-3) return `${formatNumber(Math.round(seconds * 1e6 * 100) / 100)} µs`;
  if (abs < 1) return `${formatNumber(Math.round(seconds * 1e3 * 100) / 100)} ms`;
  if (abs < 60) return `${formatNumber(Math.round(seconds * 100) / 100)} s`;
  if (abs < 3600) {
    const m = Math.floor(abs / 60);
    const s = Math.round(abs - m * 60);
    return `${seconds < 0 ? '-' : ''}${m} min${s ? ` ${s} s` : ''}`;
  }
  const h = Math.floor(abs / 3600);
  const m = Math.round((abs - h * 3600) / 60);
  return `${seconds < 0 ? '-' : ''}${h} h${m ? ` ${m} min` : ''}`;
}
