/**
 * Alertmanager's fingerprint of a label set, as prometheus/common `model.LabelSet.Fingerprint` computes it: FNV-1a
 * 64 over the label names in byte order, each name and value followed by the 0xff separator, printed as 16 hex
 * digits. Alertmanager releases before 0.19 sent no `fingerprint` per alert (prometheus-msteams keeps such a
 * notification in its testdata); computing it the same way keeps their alerts deduplicated like newer ones.
 */
const OFFSET = 14695981039346656037n;
const PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;
const SEPARATOR = 0xff;

export function labelFingerprint(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels)
    .map((name) => Buffer.from(name, 'utf8'))
    .sort(Buffer.compare);
  let hash = OFFSET;
  const add = (bytes: Buffer): void => {
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
    hash = ((hash ^ BigInt(SEPARATOR)) * PRIME) & MASK;
  };
  for (const name of names) {
    add(name);
    add(Buffer.from(labels[name.toString('utf8')] ?? '', 'utf8'));
  }
  return hash.toString(16).padStart(16, '0');
}
