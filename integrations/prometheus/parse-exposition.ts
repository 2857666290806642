import { parseGoFloat } from './parse-go-float.js';

/** Metric types of both formats; OpenMetrics `unknown` is reported as `untyped`. */
export type MetricType =
  'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'info' | 'stateset' | 'gaugehistogram';

/** One sample line, exemplar stripped. */
export interface Sample {
  /** The name as printed, suffix included (`x_bucket`, `foo_total`). */
  readonly name: string;
  /** Label values unescaped. `le` and `quantile` stay strings here. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch, whatever unit the format printed (OpenMetrics prints seconds). */
  readonly timestampMs?: number;
}

/** Everything printed for one metric family. */
export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  /** `# HELP` text, unescaped. */
  readonly help?: string;
  /** OpenMetrics `# UNIT`. */
  readonly unit?: string;
  /** In input order. May be empty: Corvo declares `corvo_rate_limit_throttled_total` and prints no sample. */
  readonly samples: readonly Sample[];
}

/** The result of {@link parseExposition}. */
export interface Exposition {
  /** by family name (histogram `x` holds x_bucket/x_sum/x_count samples; OpenMetrics counter `foo` holds `foo_total`/`foo_created`) */
  readonly families: ReadonlyMap<string, MetricFamily>;
  /** lines that could not be parsed, each a short human sentence naming the line number and metric, e.g. 'line 12: corvo_raft_apply_pending has value "<nil>", not a number (Corvo prints this under --raft-shards > 1)'. Never throws for bad lines. */
  readonly problems: readonly string[];
  readonly format: 'prometheus' | 'openmetrics';
}

/** `prometheus` is text format 0.0.4 (timestamps in ms); `openmetrics` is OpenMetrics 1.0 (timestamps in seconds). */
export type ExpositionFormat = Exposition['format'];

/** Options of {@link parseExposition}. */
export interface ParseExpositionOptions {
  /** Skip auto-detection. Wins over `contentType`. */
  readonly format?: ExpositionFormat;
  /**
   * The scrape response's Content-Type header, when there was one: `application/openmetrics-text` means OpenMetrics,
   * `text/plain` means 0.0.4. Either decides the format; anything else (or none) falls back to detection from the
   * text. Pass it: Prometheus's own 0.0.4 testdata ends with a `# EOF` line, which detection alone reads as OpenMetrics.
   */
  readonly contentType?: string;
}

/**
 * The format a scrape's Content-Type names, or undefined when it names neither (missing, `*\/*`, an HTML error page).
 * https://prometheus.io/docs/instrumenting/content_negotiation/
 */
export function formatFromContentType(contentType: string | undefined): ExpositionFormat | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/openmetrics-text') return 'openmetrics';
  if (mediaType === 'text/plain') return 'prometheus';
  return undefined;
}

/**
 * Parses a Prometheus text 0.0.4 or OpenMetrics 1.0 exposition. Never throws on bad input: each line it cannot read
 * becomes an entry of `problems` and parsing goes on, because one broken line (Corvo's `<nil>` under multi-raft) must
 * not hide the hundred good ones a runbook check needs.
 *
 * Samples are attached to families by name after the whole text is read, not by position, because Corvo prints the
 * HELP/TYPE of its `corvo_http_*` families together and interleaves their samples afterwards.
 *
 * Format: `options.format`, else what `options.contentType` names, else OpenMetrics when the text has a `# EOF` line,
 * a `# UNIT` line, or a `# TYPE` of a type only OpenMetrics has (`unknown`, `info`, `stateset`, `gaugehistogram`);
 * else 0.0.4.
 *
 * Where upstream parsers differ, this one follows the lenient side for 0.0.4 (prometheus/common, prometheus/prometheus
 * and client_python all accept these, so exporters print them): blanks between a metric name and `{`, a value right
 * after `}`, a lone comma in a label set, and `# HELP` lines without a name or without text (comments).
 *
 * Not supported, each reported as a problem on its line and the rest of the text still read (the conformance suite
 * in test/conformance lists the upstream cases that hit them):
 * - native-histogram text syntax (`name {count:24,sum:100,schema:0,…}` in client_python's OpenMetrics parser): the
 *   runbooks read classic `_bucket` histograms only;
 * - prometheus/common's `gauge_histogram` TYPE in 0.0.4 text (an extension of that parser alone; OpenMetrics
 *   `gaugehistogram` is supported): its samples are kept, as untyped.
 *
 * Spec: https://prometheus.io/docs/instrumenting/exposition_formats/ and
 * https://prometheus.io/docs/specs/om/open_metrics_spec/
 */
export function parseExposition(text: string, options?: ParseExpositionOptions): Exposition {
  const format = options?.format ?? formatFromContentType(options?.contentType) ?? detectFormat(text);
  const problems: string[] = [];
  const declared = new Map<string, FamilyDraft>();
  const parsed: Sample[] = [];
  const scanner = new LineScanner(format);

  let pos = 0;
  let lineNo = 0;
  let sawEof = false;
  const seenTimestamped = new Set<string>();
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    // Tolerate \r\n although neither format allows it: files edited on Windows and some proxies produce it.
    const line = text.slice(pos, end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end);
    pos = end + 1;

    if (sawEof) {
      if (line.trim() !== '') {
        problems.push(`line ${lineNo}: text after "# EOF" is ignored (OpenMetrics ends at # EOF)`);
        break;
      }
      continue;
    }
    const result = scanner.scan(line);
    switch (result.kind) {
      case 'blank':
      case 'comment':
        break;
      case 'eof':
        sawEof = true;
        break;
      case 'problem':
        problems.push(`line ${lineNo}: ${result.message}`);
        break;
      case 'sample':
        if (
          result.timestampKey === undefined ||
          isFirstAtTimestamp(seenTimestamped, result.sample, result.timestampKey)
        ) {
          parsed.push(result.sample);
        }
        break;
      case 'meta':
        declareMeta(declared, result, lineNo, problems);
        break;
    }
  }
  if (format === 'openmetrics' && !sawEof) {
    problems.push(
      `line ${lineNo}: the exposition ends without "# EOF"; OpenMetrics requires it, so the scrape may be truncated`,
    );
  }

  return { families: attachSamples(declared, parsed), problems, format };
}

interface FamilyDraft {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  typed: boolean;
  samples: Sample[];
}

type Meta = { kind: 'meta'; keyword: 'HELP' | 'TYPE' | 'UNIT'; name: string; text: string };
type LineResult =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'eof' }
  | { kind: 'problem'; message: string }
  | { kind: 'sample'; sample: Sample; timestampKey?: string }
  | Meta;

const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const COMMA = 44;
const EQUALS = 61;

const BLANK: LineResult = { kind: 'blank' };
const COMMENT: LineResult = { kind: 'comment' };
const EOF: LineResult = { kind: 'eof' };

const TYPE_WORDS: Readonly<Record<string, MetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'untyped',
  unknown: 'untyped',
  info: 'info',
  stateset: 'stateset',
  gaugehistogram: 'gaugehistogram',
};

/**
 * Sample-name suffixes and the family types that own them. Both formats are covered: 0.0.4 declares a counter under
 * its `_total` name (exact match), OpenMetrics declares `foo` and prints `foo_total`/`foo_created`.
 */
const SUFFIXES: readonly (readonly [suffix: string, owners: readonly MetricType[]])[] = [
  ['_bucket', ['histogram', 'gaugehistogram']],
  ['_count', ['histogram', 'summary']],
  ['_sum', ['histogram', 'summary']],
  ['_gcount', ['gaugehistogram']],
  ['_gsum', ['gaugehistogram']],
  ['_total', ['counter']],
  ['_created', ['counter', 'histogram', 'summary']],
  ['_info', ['info']],
];

const OPENMETRICS_SIGNAL =
  /^#[ \t]*(?:EOF[ \t]*$|UNIT[ \t]|TYPE[ \t].*[ \t](?:unknown|info|stateset|gaugehistogram)[ \t]*$)/;

/** Looks only at `#` lines, so a multi-MB exposition costs one indexOf pass. */
function detectFormat(text: string): ExpositionFormat {
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    let i = pos;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) === HASH) {
      const line = text.slice(i, end > i && text.charCodeAt(end - 1) === CR ? end - 1 : end);
      if (OPENMETRICS_SIGNAL.test(line)) return 'openmetrics';
    }
    pos = end + 1;
  }
  return 'prometheus';
}

function declareMeta(declared: Map<string, FamilyDraft>, meta: Meta, lineNo: number, problems: string[]): void {
  let family = declared.get(meta.name);
  if (!family) {
    family = { name: meta.name, type: 'untyped', typed: false, samples: [] };
    declared.set(meta.name, family);
  }
  switch (meta.keyword) {
    case 'HELP':
      if (family.help !== undefined) {
        problems.push(`line ${lineNo}: second HELP line for ${meta.name}; the first one is kept`);
      } else {
        family.help = meta.text;
      }
      return;
    case 'UNIT':
      if (family.unit !== undefined) {
        problems.push(`line ${lineNo}: second UNIT line for ${meta.name}; the first one is kept`);
      } else {
        family.unit = meta.text;
      }
      return;
    case 'TYPE': {
      if (family.typed) {
        problems.push(`line ${lineNo}: second TYPE line for ${meta.name}; the first one is kept`);
        return;
      }
      family.typed = true;
      const type = Object.hasOwn(TYPE_WORDS, meta.text) ? TYPE_WORDS[meta.text] : undefined;
      if (type === undefined) {
        const why =
          meta.text === 'gauge_histogram'
            ? "prometheus/common's gauge_histogram extension is not supported"
            : 'which is not a metric type';
        problems.push(`line ${lineNo}: ${meta.name} has TYPE "${excerpt(meta.text)}", ${why}; treated as untyped`);
      } else {
        family.type = type;
      }
      return;
    }
  }
}

/** Second phase: families by sample name, so declaration order and sample order do not matter. */
function attachSamples(declared: Map<string, FamilyDraft>, samples: readonly Sample[]): Map<string, MetricFamily> {
  const families = declared;
  // Many samples share a name (one per label set): resolve each name once.
  const byName = new Map<string, FamilyDraft>();
  for (const sample of samples) {
    let family = byName.get(sample.name);
    if (!family) {
      family = families.get(sample.name) ?? familyBySuffix(families, sample.name);
      if (!family) {
        family = { name: sample.name, type: 'untyped', typed: false, samples: [] };
        families.set(sample.name, family);
      }
      byName.set(sample.name, family);
    }
    family.samples.push(sample);
  }

  const result = new Map<string, MetricFamily>();
  for (const draft of families.values()) {
    const family: { -readonly [K in keyof MetricFamily]: MetricFamily[K] } = {
      name: draft.name,
      type: draft.type,
      samples: draft.samples,
    };
    if (draft.help !== undefined) family.help = draft.help;
    if (draft.unit !== undefined) family.unit = draft.unit;
    result.set(draft.name, family);
  }
  return result;
}

function familyBySuffix(families: Map<string, FamilyDraft>, name: string): FamilyDraft | undefined {
  for (const [suffix, owners] of SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      const family = families.get(name.slice(0, -suffix.length));
      if (family && owners.includes(family.type)) return family;
    }
  }
  return undefined;
}

/**
 * A second sample of one series at the same timestamp is dropped, not reported: the OpenMetrics test suite calls
 * such text valid (duplicate_timestamps_*), Prometheus stores only the first, and client_python keeps the first.
 */
function isFirstAtTimestamp(seen: Set<string>, sample: Sample, timestampKey: string): boolean {
  const key = `${sample.name}\u0000${JSON.stringify(Object.entries(sample.labels))}\u0000${timestampKey}`;
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isNameStart(c: number, colon: boolean): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (colon && c === 58);
}

function isNameChar(c: number, colon: boolean): boolean {
  return isNameStart(c, colon) || (c >= 48 && c <= 57);
}

/** Keeps problem messages short when a line is huge or binary junk. */
function excerpt(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function setLabel(labels: Record<string, string>, name: string, value: string): void {
  // A label really called `__proto__` (legal in Prometheus 3) must become an own property, not the prototype.
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true });
  else labels[name] = value;
}

/** Converts an OpenMetrics timestamp (seconds, maybe fractional) to ms by moving the decimal point in the text. */
function secondsToMs(token: string): number | undefined {
  // Shifting digits avoids float noise such as 1520879607.789 * 1000 = 1520879607789.0002.
  const plain = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(token);
  if (plain) {
    const fraction = plain[3] ?? '';
    const rest = fraction.slice(3);
    return Number(`${plain[1]}${plain[2]}${fraction.slice(0, 3).padEnd(3, '0')}${rest ? `.${rest}` : ''}`);
  }
  const seconds = parseGoFloat(token);
  return seconds !== undefined && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** A reusable cursor over one line; `scan` classifies the line and reads it. */
class LineScanner {
  private line = '';
  private i = 0;

  constructor(private readonly format: ExpositionFormat) {}

  scan(line: string): LineResult {
    this.line = line;
    this.i = 0;
    this.skipBlanks();
    if (this.atEnd()) return BLANK;
    if (this.peek() === HASH) return this.scanComment();
    return this.scanSample();
  }

  private atEnd(): boolean {
    return this.i >= this.line.length;
  }

  private peek(): number {
    return this.line.charCodeAt(this.i);
  }

  private skipBlanks(): boolean {
    const start = this.i;
    while (this.i < this.line.length && isBlank(this.line.charCodeAt(this.i))) this.i++;
    return this.i > start;
  }

  private readToken(): string {
    const start = this.i;
    while (this.i < this.line.length && !isBlank(this.line.charCodeAt(this.i))) this.i++;
    return this.line.slice(start, this.i);
  }

  private readBareName(colon: boolean): string | undefined {
    const start = this.i;
    if (this.atEnd() || !isNameStart(this.peek(), colon)) return undefined;
    this.i++;
    while (this.i < this.line.length && isNameChar(this.line.charCodeAt(this.i), colon)) this.i++;
    return this.line.slice(start, this.i);
  }

  /** Reads `"…"` with `\\`, `\"`, `\n` escapes; the cursor is on the opening quote. Undefined when unterminated. */
  private readQuoted(): string | undefined {
    const line = this.line;
    let i = this.i + 1;
    let segmentStart = i;
    // Joined once at the end: no repeated string concatenation on long values.
    let parts: string[] | undefined;
    while (i < line.length) {
      const c = line.charCodeAt(i);
      if (c === QUOTE) {
        this.i = i + 1;
        const tail = line.slice(segmentStart, i);
        if (!parts) return tail;
        parts.push(tail);
        return parts.join('');
      }
      if (c === BACKSLASH && i + 1 < line.length) {
        parts ??= [];
        parts.push(line.slice(segmentStart, i));
        const next = line[i + 1];
        // Go rejects other escapes; keeping them literally loses nothing and keeps the sample.
        parts.push(next === 'n' ? '\n' : next === '\\' || next === '"' ? next : `\\${next}`);
        i += 2;
        segmentStart = i;
        continue;
      }
      i++;
    }
    return undefined;
  }

  /** A metric name in `# HELP/TYPE/UNIT`: bare, or quoted as Prometheus 3 allows for UTF-8 names. */
  private readMetricName(): string | undefined {
    if (this.peek() === QUOTE) return this.readQuoted();
    return this.readBareName(true);
  }

  private scanComment(): LineResult {
    this.i++; // '#'
    this.skipBlanks();
    const keyword = this.readToken();
    if (keyword === 'EOF' && this.format === 'openmetrics') {
      this.skipBlanks();
      return this.atEnd() ? EOF : COMMENT;
    }
    if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') return COMMENT;
    // `# HELP` alone, or `# HELP name` with no text: all three upstream parsers skip it as a comment.
    if (keyword === 'HELP' && this.atEnd()) return COMMENT;
    if (!this.skipBlanks()) return { kind: 'problem', message: `# ${keyword} without a metric name` };
    if (keyword === 'HELP' && this.atEnd()) return COMMENT;
    const name = this.readMetricName();
    if (name === undefined || name === '') {
      return { kind: 'problem', message: `# ${keyword} has no valid metric name: "${excerpt(this.line)}"` };
    }
    if (!this.atEnd() && !this.skipBlanks()) {
      return { kind: 'problem', message: `# ${keyword} ${name}: unexpected character after the metric name` };
    }
    if (keyword === 'HELP' && this.atEnd() && this.format === 'prometheus') return COMMENT;
    const rest = this.line.slice(this.i);
    if (keyword === 'HELP') return { kind: 'meta', keyword, name, text: this.unescapeHelp(rest) };
    return { kind: 'meta', keyword, name, text: rest.trimEnd() };
  }

  private unescapeHelp(text: string): string {
    if (!text.includes('\\')) return text;
    // 0.0.4 escapes only \\ and \n in HELP; OpenMetrics adds \".
    const pattern = this.format === 'openmetrics' ? /\\([\\n"])/g : /\\([\\n])/g;
    return text.replace(pattern, (_, c: string) => (c === 'n' ? '\n' : c));
  }

  private scanSample(): LineResult {
    let name: string | undefined;
    const labels: Record<string, string> = {};
    if (this.peek() !== OPEN_BRACE) {
      name = this.readBareName(true);
      if (name === undefined) {
        return { kind: 'problem', message: `not a sample or a comment: "${excerpt(this.line)}"` };
      }
      // 0.0.4 allows blanks between the name and `{` (`name {a="b"} 1`); OpenMetrics does not.
      if (this.format === 'prometheus') {
        const afterName = this.i;
        this.skipBlanks();
        if (this.peek() !== OPEN_BRACE) this.i = afterName;
      }
    }
    let hasLabelSet = false;
    if (this.peek() === OPEN_BRACE) {
      hasLabelSet = true;
      const failure = this.readLabelSet(labels, (quotedName) => {
        if (name !== undefined) return `${name}: second metric name "${excerpt(quotedName)}" inside the braces`;
        name = quotedName;
        return undefined;
      });
      if (failure !== undefined) {
        return { kind: 'problem', message: name === undefined ? failure : `${name}: ${failure}` };
      }
      if (name === undefined) return { kind: 'problem', message: `a label set without a metric name` };
    }
    const metric: string = name ?? '';

    // 0.0.4 parsers read the value right after `}` (`name{a="b"}-Inf`); OpenMetrics requires the space.
    if (!this.skipBlanks() && !(hasLabelSet && this.format === 'prometheus' && !this.atEnd())) {
      return {
        kind: 'problem',
        message: this.atEnd()
          ? `${metric} has no value`
          : `${metric}: unexpected character "${this.line[this.i] ?? ''}" after the name`,
      };
    }
    const valueToken = this.readToken();
    if (valueToken.startsWith('{')) {
      return {
        kind: 'problem',
        message: `${metric} is a native-histogram sample ("${excerpt(valueToken)}"), which is not supported; only classic _bucket histograms are read`,
      };
    }
    const value = parseGoFloat(valueToken);
    if (value === undefined) {
      // Corvo fills a missing status field with a Go nil printed through %v.
      const hint = valueToken === '<nil>' ? ' (Corvo prints this under --raft-shards > 1)' : '';
      return { kind: 'problem', message: `${metric} has value "${excerpt(valueToken)}", not a number${hint}` };
    }

    let timestampMs: number | undefined;
    let timestampKey: string | undefined;
    this.skipBlanks();
    if (!this.atEnd() && this.peek() !== HASH) {
      const token = this.readToken();
      timestampKey = nanosecondKey(token);
      timestampMs = this.format === 'openmetrics' ? secondsToMs(token) : parseMilliseconds(token);
      if (timestampMs === undefined) {
        return { kind: 'problem', message: `${metric} has timestamp "${excerpt(token)}", not a number` };
      }
      this.skipBlanks();
    }
    // Anything from '#' on is an OpenMetrics exemplar (` # {trace_id="…"} 1 123`); the bot has no use for it.
    if (!this.atEnd() && this.peek() !== HASH) {
      return {
        kind: 'problem',
        message: `${metric}: unexpected text "${excerpt(this.line.slice(this.i))}" after the value`,
      };
    }
    const sample: { -readonly [K in keyof Sample]: Sample[K] } = { name: metric, labels, value };
    if (timestampMs === undefined) return { kind: 'sample', sample };
    sample.timestampMs = timestampMs;
    return { kind: 'sample', sample, timestampKey };
  }

  /**
   * Reads `{a="b",c="d",}` into `labels`. A quoted string not followed by `=` is a Prometheus 3 metric name
   * (`{"my.metric", a="b"}`), handed to `onName`. Returns a problem sentence or undefined.
   */
  private readLabelSet(
    labels: Record<string, string>,
    onName: (name: string) => string | undefined,
  ): string | undefined {
    this.i++; // '{'
    this.skipBlanks();
    // client_python reads `{,}` and `{ , }` as no labels; a lone comma loses nothing, so 0.0.4 text keeps the sample.
    if (this.format === 'prometheus' && this.peek() === COMMA) {
      this.i++;
      this.skipBlanks();
      if (this.peek() !== CLOSE_BRACE) return `invalid label name at "${excerpt(this.line.slice(this.i - 1))}"`;
    }
    for (;;) {
      this.skipBlanks();
      if (this.atEnd()) return 'the label set is not closed with "}"';
      if (this.peek() === CLOSE_BRACE) {
        this.i++;
        return undefined;
      }
      let labelName: string | undefined;
      if (this.peek() === QUOTE) {
        labelName = this.readQuoted();
        if (labelName === undefined) return 'a quoted name is not closed';
        this.skipBlanks();
        if (this.peek() !== EQUALS) {
          const failure = onName(labelName);
          if (failure !== undefined) return failure;
          if (!this.endOfLabel()) return `unexpected character after "${excerpt(labelName)}" in the label set`;
          continue;
        }
      } else {
        labelName = this.readBareName(false);
        if (labelName === undefined) {
          return `invalid label name at "${excerpt(this.line.slice(this.i))}"`;
        }
        this.skipBlanks();
      }
      if (this.peek() !== EQUALS) return `label ${labelName} has no "="`;
      this.i++;
      this.skipBlanks();
      if (this.peek() !== QUOTE) return `label ${labelName} has an unquoted value`;
      const value = this.readQuoted();
      if (value === undefined) return `label ${labelName} has a value without its closing quote`;
      if (Object.hasOwn(labels, labelName)) return `label ${labelName} appears twice`;
      setLabel(labels, labelName, value);
      if (!this.endOfLabel()) return `unexpected character after label ${labelName}`;
    }
  }

  /**
   * After a label: a comma (trailing one allowed) or the closing brace, which is left for the loop. In 0.0.4 a blank
   * before the next label also separates (`{a="1" b="2"}`): prometheus/prometheus's scraper accepts it (its
   * promparse_test calls it valid), client_python refuses it; the bot sides with the scraper.
   */
  private endOfLabel(): boolean {
    const blanks = this.skipBlanks();
    if (this.peek() === COMMA) {
      this.i++;
      return true;
    }
    if (blanks && this.format === 'prometheus' && (isNameStart(this.peek(), false) || this.peek() === QUOTE))
      return true;
    return this.peek() === CLOSE_BRACE;
  }
}

/**
 * Two timestamps are the same when they agree to the nanosecond (client_python's and Prometheus's resolution), so
 * `0.0000000000` and `0.0000000001` (OpenMetrics seconds) are one instant. Compared as text: a float would lose
 * nanoseconds on today's epoch values.
 */
function nanosecondKey(token: string): string {
  const plain = /^([+-]?)0*(\d*?)(?:\.(\d*))?$/.exec(token);
  if (!plain) return token;
  const fraction = (plain[3] ?? '').slice(0, 9).replace(/0+$/, '');
  return `${plain[1] === '-' ? '-' : ''}${plain[2] || '0'}.${fraction}`;
}

/** 0.0.4 timestamps are int64 ms; a fraction is tolerated rather than dropping the sample. */
function parseMilliseconds(token: string): number | undefined {
  const ms = parseGoFloat(token);
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}
