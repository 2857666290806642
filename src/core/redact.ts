/**
 * The one place where secrets are taken out of text bound for chat or logs. Every configured secret value (each
 * {@link Secret} registers its value here when it is built, so nothing needs wiring) and anything shaped like a
 * credential is replaced by `[redacted]`. Applied by every chat transport to every message it posts and by the root
 * logger to every line it writes: a target that echoes the API key in an error body cannot put it in front of people.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Shorter configured values are not redacted by value: a 3-character "password" would blank out ordinary words. Real
 * keys and tokens are far longer; shape patterns below still apply to any length.
 */
export const MIN_SECRET_LENGTH = 6;

const secretValues = new Set<string>();
let secretPattern: RegExp | undefined;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Registers a secret value to be redacted from then on, with its URL-encoded and JSON-escaped spellings (how an echo
 * usually quotes it). Called by the {@link Secret} constructor; values under {@link MIN_SECRET_LENGTH} are ignored.
 */
export function registerSecretValue(value: string): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  let added = false;
  for (const form of forms) {
    if (!secretValues.has(form)) {
      secretValues.add(form);
      added = true;
    }
  }
  if (added) {
    // Longest first, so a value containing a shorter one is replaced whole.
    const alternatives = [...secretValues].sort((a, b) => b.length - a.length).map(escapeRegExp);
    secretPattern = new RegExp(alternatives.join('|'), 'g');
  }
}

/**
 * Credential shapes, redacted whether or not they are configured here (a token of another app, a password in a
 * target's connection string). Each keeps the label that says what was removed.
 */
const SHAPES: readonly (readonly [RegExp, string])[] = [
  // Slack bot, user, app-level, refresh and config tokens (xoxb-, xoxp-, xapp-, xoxe-…).
  [/\bx(?:ox[abpsore](?:\.[A-Za-z0-9_-]+)?|app)-[A-Za-z0-9-]{6,}/g, REDACTED],
  // JSON Web Tokens (Bot Framework / Entra access tokens).
  [/\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Authorization header values: `Bearer …`, `Basic …`, PagerDuty's `Token token=…`.
  // The value must look generated — a digit, `=`, or a capital inside a word, as tokens and base64 credentials do —
  // so prose such as "basic health checks" or "Bearer of bad news" stays as written.
  [
    /\b([Bb]earer|[Bb]asic|BEARER|BASIC)\s+(?=[A-Za-z0-9._~+/=-]*(?:[0-9=]|[a-z][A-Z]))[A-Za-z0-9._~+/=-]{8,}/g,
    `$1 ${REDACTED}`,
  ],
  [/\b(Token\s+token=)[^\s"',;&\\]+/gi, `$1${REDACTED}`],
  // Passwords in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:"'<>]*):[^\s/@"'<>]+@/gi, `$1:${REDACTED}@`],
  // `api_key=…`, `"x-api-key": "…"`, `password: …`, `token=…` with a value that looks generated (has a digit).
  [
    // A backslash ends the value too (log lines are JSON: `\"password=x\"` must stay valid JSON), and a quote may
    // come escaped (`\"secret\": \"…\"` inside a logged string).
    /\b((?:x-)?(?:api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|routing[_-]?key|integration[_-]?key|password|passwd|secret|token)(?:\\?")?\s*[=:]\s*(?:\\?")?)(?=[^\s"',;&\\]*\d)[^\s"',;&\\]{6,}/gi,
    `$1${REDACTED}`,
  ],
];

/** `text` with every registered secret value and every credential-shaped token replaced by `[redacted]`. Pure. */
export function redactSecrets(text: string): string {
  let out = secretPattern && secretValues.size ? text.replace(secretPattern, REDACTED) : text;
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` with {@link redactSecrets} applied to every string in it (plain objects and arrays, any depth);
 * other values (numbers, dates, class instances) are kept as they are. For the platform-neutral message models
 * (report, approval card, incident message) just before a transport renders them.
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, depth + 1)) as T;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out as T;
}
