import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition, type Exposition, type MetricType, type Sample } from './parse-exposition.js';
import { parseGoFloat } from './parse-go-float.js';

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

function allSamples(expo: Exposition): Sample[] {
  return [...expo.families.values()].flatMap((family) => [...family.samples]);
}

function family(expo: Exposition, name: string) {
  const found = expo.families.get(name);
  if (!found) throw new Error(`no family ${name}; have ${[...expo.families.keys()].join(', ')}`);
  return found;
}

describe('parseGoFloat', () => {
  it.each([
    ['0', 0],
    ['12.47', 12.47],
    ['1e-05', 1e-5],
    ['1.7560473e+07', 17560473],
    ['-1.5E+3', -1500],
    ['.5', 0.5],
    ['1.', 1],
    ['+3', 3],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['Inf', Infinity],
    ['+infinity', Infinity],
  ])('reads %s', (token, expected) => {
    expect(parseGoFloat(token)).toBe(expected);
  });

  it.each(['NaN', 'nan'])('reads %s as NaN', (token) => {
    expect(parseGoFloat(token)).toBeNaN();
  });

  it.each(['<nil>', '', '1e', 'e5', '1.2.3', '0x10', '1_000', 'Infinite', '--1', '1 '])('rejects %j', (token) => {
    expect(parseGoFloat(token)).toBeUndefined();
  });
});

describe('parseExposition: the 0.0.4 example of exposition_formats.md', () => {
  const expo = parseExposition(fixture('prometheus-text-spec.prom'));

  it('reads every sample without problems', () => {
    expect(expo.format).toBe('prometheus');
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)).toHaveLength(2 + 1 + 1 + 1 + 8 + 7);
  });

  it('reads ms timestamps, extra blanks and labels', () => {
    expect(family(expo, 'http_requests_total')).toEqual({
      name: 'http_requests_total',
      type: 'counter',
      help: 'The total number of HTTP requests.',
      samples: [
        {
          name: 'http_requests_total',
          labels: { method: 'post', code: '200' },
          value: 1027,
          timestampMs: 1395066363000,
        },
        { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestampMs: 1395066363000 },
      ],
    });
  });

  it('unescapes label values', () => {
    expect(family(expo, 'msdos_file_access_time_seconds').samples).toEqual([
      {
        name: 'msdos_file_access_time_seconds',
        labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' },
        value: 1.458255915e9,
      },
    ]);
  });

  it('gives undeclared samples an untyped family of their own name', () => {
    expect(family(expo, 'metric_without_timestamp_and_labels')).toEqual({
      name: 'metric_without_timestamp_and_labels',
      type: 'untyped',
      samples: [{ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 }],
    });
  });

  it('reads +Inf and a negative timestamp', () => {
    expect(family(expo, 'something_weird').samples).toEqual([
      { name: 'something_weird', labels: { problem: 'division by zero' }, value: Infinity, timestampMs: -3982045 },
    ]);
  });

  it('attaches _bucket/_sum/_count to the histogram family', () => {
    const histogram = family(expo, 'http_request_duration_seconds');
    expect(histogram.type).toBe('histogram');
    expect(histogram.samples.map((s) => `${s.name}${s.labels.le ? `@${s.labels.le}` : ''}=${s.value}`)).toEqual([
      'http_request_duration_seconds_bucket@0.05=24054',
      'http_request_duration_seconds_bucket@0.1=33444',
      'http_request_duration_seconds_bucket@0.2=100392',
      'http_request_duration_seconds_bucket@0.5=129389',
      'http_request_duration_seconds_bucket@1=133988',
      'http_request_duration_seconds_bucket@+Inf=144320',
      'http_request_duration_seconds_sum=53423',
      'http_request_duration_seconds_count=144320',
    ]);
    expect(expo.families.has('http_request_duration_seconds_bucket')).toBe(false);
  });

  it('attaches quantiles, _sum and _count to the summary family', () => {
    const summary = family(expo, 'telemetry_requests_metrics_latency_microseconds');
    expect(summary.type).toBe('summary');
    expect(summary.samples.map((s) => [s.name, s.labels.quantile, s.value])).toEqual([
      ['telemetry_requests_metrics_latency_microseconds', '0.01', 3102],
      ['telemetry_requests_metrics_latency_microseconds', '0.05', 3272],
      ['telemetry_requests_metrics_latency_microseconds', '0.5', 4773],
      ['telemetry_requests_metrics_latency_microseconds', '0.9', 9001],
      ['telemetry_requests_metrics_latency_microseconds', '0.99', 76656],
      ['telemetry_requests_metrics_latency_microseconds_sum', undefined, 17560473],
      ['telemetry_requests_metrics_latency_microseconds_count', undefined, 2693],
    ]);
    expect([...expo.families.keys()]).toEqual([
      'http_requests_total',
      'http_request_duration_seconds',
      'telemetry_requests_metrics_latency_microseconds',
      'msdos_file_access_time_seconds',
      'metric_without_timestamp_and_labels',
      'something_weird',
    ]);
  });
});

describe('parseExposition: single sample lines', () => {
  it.each<[string, string, Sample[]]>([
    ['a minimal line', 'a 1', [{ name: 'a', labels: {}, value: 1 }]],
    ['a colon in the name', 'job:rate5m 2', [{ name: 'job:rate5m', labels: {}, value: 2 }]],
    ['empty braces', 'a{} 1', [{ name: 'a', labels: {}, value: 1 }]],
    ['leading blanks', ' \t a 1', [{ name: 'a', labels: {}, value: 1 }]],
    [
      'a trailing comma and blanks inside braces',
      'a{ x = "1" ,\ty="2", } 3',
      [{ name: 'a', labels: { x: '1', y: '2' }, value: 3 }],
    ],
    [
      'tabs between tokens',
      'a{x="1"}\t\t2\t1700000000000',
      [{ name: 'a', labels: { x: '1' }, value: 2, timestampMs: 1700000000000 }],
    ],
    ['a Go float', 'a 1e-05', [{ name: 'a', labels: {}, value: 1e-5 }]],
    ['-Inf', 'a -Inf', [{ name: 'a', labels: {}, value: -Infinity }]],
    [
      'escapes in label values',
      String.raw`a{p="C:\\x",q="say \"hi\"",r="l1\nl2",s="\t stays"} 1`,
      [{ name: 'a', labels: { p: 'C:\\x', q: 'say "hi"', r: 'l1\nl2', s: '\\t stays' }, value: 1 }],
    ],
    [
      'braces, hash and blanks inside a label value',
      'a{x="# } { ,=",y=""} 1',
      [{ name: 'a', labels: { x: '# } { ,=', y: '' }, value: 1 }],
    ],
    [
      'a Prometheus 3 quoted UTF-8 name',
      '{"my.dotted.metric", "error.message"="Not Found"} 4',
      [{ name: 'my.dotted.metric', labels: { 'error.message': 'Not Found' }, value: 4 }],
    ],
    ['a quoted name alone', '{"my.metric"} 5', [{ name: 'my.metric', labels: {}, value: 5 }]],
    ['a quoted name after the labels', '{a="b", "my.metric"} 6', [{ name: 'my.metric', labels: { a: 'b' }, value: 6 }]],
    ['a blank line', '   ', []],
    ['a plain comment', '# just a comment with a "quote" and {braces', []],
  ])('reads %s', (_title, line, expected) => {
    const expo = parseExposition(`${line}\n`);
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)).toEqual(expected);
  });

  it('reads NaN', () => {
    const expo = parseExposition('a NaN\n');
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)[0]?.value).toBeNaN();
  });

  it('makes a label called __proto__ an own property, not the prototype', () => {
    const [sample] = allSamples(parseExposition('a{__proto__="x"} 1\n'));
    expect(Object.keys(sample?.labels ?? {})).toEqual(['__proto__']);
    expect(sample?.labels['__proto__']).toBe('x');
    expect(Object.getPrototypeOf(sample?.labels)).toBe(Object.prototype);
  });

  it('reads the last line without a final newline', () => {
    expect(allSamples(parseExposition('a 1\nb 2'))).toEqual([
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: {}, value: 2 },
    ]);
  });
});

describe('parseExposition: bad lines become problems and parsing goes on', () => {
  it.each<[string, string, RegExp]>([
    [
      "Corvo's <nil>",
      'corvo_raft_apply_pending <nil>',
      /^line 2: corvo_raft_apply_pending has value "<nil>", not a number \(Corvo prints this under --raft-shards > 1\)$/,
    ],
    ['a word as value', 'a{x="1"} many', /^line 2: a has value "many", not a number$/],
    ['no value', 'a{x="1"}', /^line 2: a has no value$/],
    ['an unterminated label value', 'a{x="1} 2', /^line 2: a: label x has a value without its closing quote$/],
    ['an unquoted label value', 'a{x=1} 2', /^line 2: a: label x has an unquoted value$/],
    ['an unclosed label set', 'a{x="1" 2', /^line 2: a: unexpected character after label x$/],
    ['a duplicate label', 'a{x="1",x="2"} 3', /^line 2: a: label x appears twice$/],
    ['braces without a metric name', '{x="1"} 1', /^line 2: a label set without a metric name$/],
    ['a bad timestamp', 'a 1 soon', /^line 2: a has timestamp "soon", not a number$/],
    ['text after the timestamp', 'a 1 2 3', /^line 2: a: unexpected text "3" after the value$/],
    ['a bad metric name', '9lives 1', /^line 2: not a sample or a comment: "9lives 1"$/],
    ['a dot in a bare name', 'my.metric 1', /^line 2: my: unexpected character "\." after the name$/],
    [
      'an unknown TYPE',
      '# TYPE a timer',
      /^line 2: a has TYPE "timer", which is not a metric type; treated as untyped$/,
    ],
    ['a TYPE without a name', '# TYPE', /^line 2: # TYPE without a metric name$/],
  ])('reports %s', (_title, bad, problem) => {
    const expo = parseExposition(`before 1\n${bad}\nafter 2\n`);
    expect(expo.problems).toEqual([expect.stringMatching(problem)]);
    expect(allSamples(expo).map((s) => s.name)).toEqual(['before', 'after']);
  });

  it('keeps the first of two TYPE lines and says so', () => {
    const expo = parseExposition('# TYPE a gauge\n# TYPE a counter\na 1\n');
    expect(expo.problems).toEqual(['line 2: second TYPE line for a; the first one is kept']);
    expect(family(expo, 'a').type).toBe('gauge');
  });

  it('cuts a huge bad token down in the message', () => {
    const token = '9'.repeat(200_000) + 'x';
    const expo = parseExposition(`a ${token}\nb 1\n`);
    expect(expo.problems).toHaveLength(1);
    expect(expo.problems[0]).toMatch(/^line 1: a has value "9{57}\.\.\.", not a number$/);
    expect(allSamples(expo).map((s) => s.name)).toEqual(['b']);
  });
});

describe('parseExposition: HELP', () => {
  it('unescapes \\\\ and \\n in 0.0.4 and leaves \\" alone', () => {
    const expo = parseExposition(String.raw`# HELP a back\\slash\nnext \"q\"` + '\na 1\n');
    expect(family(expo, 'a').help).toBe('back\\slash\nnext \\"q\\"');
  });

  it('also unescapes \\" in OpenMetrics', () => {
    const expo = parseExposition(String.raw`# HELP a back\\slash\nnext \"q\"` + '\na 1\n# EOF\n');
    expect(expo.format).toBe('openmetrics');
    expect(family(expo, 'a').help).toBe('back\\slash\nnext "q"');
  });

  it('accepts a quoted UTF-8 name in HELP and TYPE', () => {
    const expo = parseExposition('# HELP "my.metric" Dots.\n# TYPE "my.metric" gauge\n{"my.metric"} 1\n');
    expect(expo.problems).toEqual([]);
    expect(family(expo, 'my.metric')).toEqual({
      name: 'my.metric',
      type: 'gauge',
      help: 'Dots.',
      samples: [{ name: 'my.metric', labels: {}, value: 1 }],
    });
  });
});

describe('parseExposition: attaching samples to families', () => {
  it('strips a suffix only when the base family has a type that owns it', () => {
    const expo = parseExposition('# TYPE foo gauge\nfoo 1\nfoo_total 2\nfoo_bucket{le="1"} 3\n');
    expect(family(expo, 'foo').samples.map((s) => s.name)).toEqual(['foo']);
    expect(family(expo, 'foo_total').type).toBe('untyped');
    expect(family(expo, 'foo_bucket').type).toBe('untyped');
  });

  it('attaches by name even when samples come before their TYPE', () => {
    const expo = parseExposition('x_bucket{le="+Inf"} 1\nx_count 1\n# TYPE x histogram\n');
    expect([...expo.families.keys()]).toEqual(['x']);
    expect(family(expo, 'x').samples).toHaveLength(2);
  });

  it('keeps a family that is declared but has no samples', () => {
    const expo = parseExposition('# HELP quiet_total Nothing yet.\n# TYPE quiet_total counter\n');
    expect(family(expo, 'quiet_total')).toEqual({
      name: 'quiet_total',
      type: 'counter',
      help: 'Nothing yet.',
      samples: [],
    });
  });
});

describe('parseExposition: format', () => {
  it.each<[string, string, 'prometheus' | 'openmetrics']>([
    ['a # EOF line', 'a 1\n# EOF\n', 'openmetrics'],
    ['a # UNIT line', '# UNIT a_seconds seconds\na_seconds 1\n', 'openmetrics'],
    ['TYPE unknown', '# TYPE a unknown\na 1\n', 'openmetrics'],
    ['TYPE info', '# TYPE a info\na_info 1\n', 'openmetrics'],
    ['TYPE stateset', '# TYPE a stateset\na{a="x"} 1\n', 'openmetrics'],
    ['TYPE gaugehistogram', '# TYPE a gaugehistogram\na_gcount 1\n', 'openmetrics'],
    ['a 0.0.4 counter', '# TYPE a_total counter\na_total 1\n', 'prometheus'],
    ['EOF, UNIT and info only in HELP text', '# HELP a see # EOF\n# HELP b UNIT info\na 1\n', 'prometheus'],
    ['no comments at all', 'a 1\n', 'prometheus'],
  ])('detects %s', (_title, text, format) => {
    expect(parseExposition(text).format).toBe(format);
  });

  it('follows options.format over detection', () => {
    const expo = parseExposition('a 1 1500\n# EOF\n', { format: 'prometheus' });
    expect(expo.format).toBe('prometheus');
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)[0]?.timestampMs).toBe(1500);
  });

  it.each<['prometheus' | 'openmetrics', string, number]>([
    ['prometheus', '1520879607789', 1520879607789],
    ['openmetrics', '1520879607.789', 1520879607789],
    ['openmetrics', '1520879607', 1520879607000],
    ['openmetrics', '1520879607.5', 1520879607500],
    ['openmetrics', '1520879607.0001', 1520879607000.1],
    ['openmetrics', '1.5e9', 1.5e12],
  ])('reads a %s timestamp %s as %d ms', (format, token, ms) => {
    const text = `a 1 ${token}\n${format === 'openmetrics' ? '# EOF\n' : ''}`;
    const expo = parseExposition(text, { format });
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)[0]?.timestampMs).toBe(ms);
  });

  it.each<[string, string | undefined, 'prometheus' | 'openmetrics']>([
    ['0.0.4', 'text/plain; version=0.0.4; charset=utf-8', 'prometheus'],
    ['OpenMetrics', 'application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['upper case', 'Application/OpenMetrics-Text', 'openmetrics'],
    ['neither (detection decides)', 'text/html', 'openmetrics'],
    ['none (detection decides)', undefined, 'openmetrics'],
  ])('follows a %s Content-Type over a trailing "# EOF"', (_title, contentType, format) => {
    // Prometheus's own 0.0.4 testdata (alltypes.237mfs.prom.txt) ends with "# EOF".
    const expo = parseExposition('# TYPE a counter\na 1 1500\n# EOF\n', { contentType });
    expect(expo.format).toBe(format);
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)[0]?.timestampMs).toBe(format === 'prometheus' ? 1500 : 1500000);
  });

  it('follows options.format over the Content-Type', () => {
    expect(parseExposition('a 1\n', { format: 'openmetrics', contentType: 'text/plain' }).format).toBe('openmetrics');
  });

  it('tolerates \\r\\n line endings', () => {
    const text = fixture('corvo-leader.prom');
    const crlf = parseExposition(text.replaceAll('\n', '\r\n'));
    expect(crlf.problems).toEqual([]);
    expect(crlf.families).toEqual(parseExposition(text).families);
  });
});

describe('parseExposition: OpenMetrics', () => {
  const expo = parseExposition(fixture('openmetrics.txt'));

  it('detects the format and reads everything', () => {
    expect(expo.format).toBe('openmetrics');
    expect(expo.problems).toEqual([]);
    expect([...expo.families.keys()]).toEqual([
      'acme_http_router_request_seconds',
      'go_goroutines',
      'process_cpu_seconds',
      'rpc_latency_seconds',
      'jobs_processed',
      'build',
      'feature_flags',
      'queue_wait_seconds',
      'mystery',
    ]);
  });

  it('puts foo_total into counter family foo, with its UNIT', () => {
    expect(family(expo, 'process_cpu_seconds')).toEqual({
      name: 'process_cpu_seconds',
      type: 'counter',
      unit: 'seconds',
      help: 'Total user and system CPU time spent in seconds.',
      samples: [{ name: 'process_cpu_seconds_total', labels: {}, value: 4.20072246e6 }],
    });
  });

  it('puts _created into counter and summary families and converts timestamps from seconds', () => {
    expect(family(expo, 'jobs_processed').samples).toEqual([
      { name: 'jobs_processed_total', labels: { queue: 'emails' }, value: 17, timestampMs: 1520879607789 },
      {
        name: 'jobs_processed_created',
        labels: { queue: 'emails' },
        value: 1520430000.123,
        timestampMs: 1520879607789,
      },
    ]);
    const summary = family(expo, 'acme_http_router_request_seconds');
    expect(summary.type).toBe('summary');
    expect(summary.samples.map((s) => s.name)).toEqual([
      'acme_http_router_request_seconds_sum',
      'acme_http_router_request_seconds_count',
      'acme_http_router_request_seconds_created',
      'acme_http_router_request_seconds_sum',
      'acme_http_router_request_seconds_count',
      'acme_http_router_request_seconds_created',
    ]);
  });

  it('strips exemplars without mistaking their timestamp for the sample timestamp', () => {
    const histogram = family(expo, 'rpc_latency_seconds');
    expect(histogram.help).toBe('RPC latency with "quoted" words\nand a second line.');
    expect(histogram.samples).toEqual([
      { name: 'rpc_latency_seconds_bucket', labels: { le: '0.01' }, value: 0 },
      { name: 'rpc_latency_seconds_bucket', labels: { le: '0.1' }, value: 8 },
      { name: 'rpc_latency_seconds_bucket', labels: { le: '1' }, value: 11 },
      { name: 'rpc_latency_seconds_bucket', labels: { le: '10' }, value: 17 },
      { name: 'rpc_latency_seconds_bucket', labels: { le: '+Inf' }, value: 17 },
      { name: 'rpc_latency_seconds_count', labels: {}, value: 17 },
      { name: 'rpc_latency_seconds_sum', labels: {}, value: 324789.3 },
      { name: 'rpc_latency_seconds_created', labels: {}, value: 1520430000.123 },
    ]);
  });

  it('reads info, stateset, gaugehistogram and unknown', () => {
    const types: Record<string, [MetricType, string[]]> = {};
    for (const name of ['build', 'feature_flags', 'queue_wait_seconds', 'mystery']) {
      const f = family(expo, name);
      types[name] = [f.type, f.samples.map((s) => s.name)];
    }
    expect(types).toEqual({
      build: ['info', ['build_info']],
      feature_flags: ['stateset', ['feature_flags', 'feature_flags']],
      queue_wait_seconds: [
        'gaugehistogram',
        [...Array<string>(5).fill('queue_wait_seconds_bucket'), 'queue_wait_seconds_gcount', 'queue_wait_seconds_gsum'],
      ],
      mystery: ['untyped', ['mystery']],
    });
    expect(family(expo, 'build').samples[0]?.labels).toEqual({ name: 'pretty name', version: '8.2.7' });
  });

  it('stops at # EOF and reports text after it', () => {
    const after = parseExposition('a 1\n# EOF\n\nb 2\n');
    expect(after.problems).toEqual(['line 4: text after "# EOF" is ignored (OpenMetrics ends at # EOF)']);
    expect(allSamples(after).map((s) => s.name)).toEqual(['a']);
  });

  it('reports a missing # EOF, the sign of a truncated scrape', () => {
    const truncated = parseExposition('# TYPE a counter\na_total 1\n', { format: 'openmetrics' });
    expect(truncated.problems).toEqual([
      'line 2: the exposition ends without "# EOF"; OpenMetrics requires it, so the scrape may be truncated',
    ]);
    expect(family(truncated, 'a').samples).toHaveLength(1);
  });
});

/** Every family of targets.md §1.6 that the §1.7 leader sample prints (all but corvo_metrics_errors_total). */
const CORVO_TYPES: Record<string, MetricType> = {
  corvo_throughput_enqueued_total: 'counter',
  corvo_throughput_completed_total: 'counter',
  corvo_throughput_failed_total: 'counter',
  corvo_lifecycle_streams_open: 'gauge',
  corvo_lifecycle_streams_max: 'gauge',
  corvo_lifecycle_frames_inflight: 'gauge',
  corvo_lifecycle_frames_max_inflight: 'gauge',
  corvo_lifecycle_frames_total: 'counter',
  corvo_lifecycle_streams_total: 'counter',
  corvo_lifecycle_overload_total: 'counter',
  corvo_lifecycle_idle_fetch_total: 'counter',
  corvo_cluster_is_leader: 'gauge',
  corvo_sqlite_mirror_lag_updates: 'gauge',
  corvo_sqlite_mirror_dropped_total: 'counter',
  corvo_raft_apply_pending: 'gauge',
  corvo_raft_apply_max_pending: 'gauge',
  corvo_raft_apply_overload_total: 'counter',
  corvo_raft_fetch_overload_total: 'counter',
  corvo_raft_applied_total: 'counter',
  corvo_raft_state: 'gauge',
  corvo_raft_applied_index: 'gauge',
  corvo_raft_commit_index: 'gauge',
  corvo_raft_snapshot_latest_index: 'gauge',
  corvo_raft_queue_time_seconds: 'histogram',
  corvo_raft_apply_time_seconds: 'histogram',
  corvo_queues_total: 'gauge',
  corvo_queue_jobs: 'gauge',
  corvo_jobs: 'gauge',
  corvo_workers_registered: 'gauge',
  corvo_workers_active: 'gauge',
  corvo_process_goroutines: 'gauge',
  corvo_process_heap_inuse_bytes: 'gauge',
  corvo_process_stack_inuse_bytes: 'gauge',
  corvo_process_gc_pause_ns: 'gauge',
  corvo_scheduler_promote_total: 'counter',
  corvo_scheduler_promote_errors_total: 'counter',
  corvo_scheduler_reclaim_total: 'counter',
  corvo_scheduler_reclaim_errors_total: 'counter',
  corvo_scheduler_expire_total: 'counter',
  corvo_scheduler_expire_errors_total: 'counter',
  corvo_scheduler_purge_total: 'counter',
  corvo_scheduler_purge_errors_total: 'counter',
  corvo_scheduler_last_promote_seconds: 'gauge',
  corvo_scheduler_last_reclaim_seconds: 'gauge',
  corvo_scheduler_last_expire_seconds: 'gauge',
  corvo_scheduler_last_purge_seconds: 'gauge',
  corvo_http_requests_total: 'counter',
  corvo_http_request_errors_total: 'counter',
  corvo_http_request_duration_seconds: 'histogram',
  corvo_http_requests_in_flight: 'gauge',
  corvo_rate_limit_throttled_total: 'counter',
};

describe('parseExposition: Corvo (targets.md §1.7)', () => {
  const text = fixture('corvo-leader.prom');
  const expo = parseExposition(text);

  it('parses the leader exposition with zero problems and every family typed as declared', () => {
    expect(expo.format).toBe('prometheus');
    expect(expo.problems).toEqual([]);
    expect(Object.fromEntries([...expo.families.values()].map((f) => [f.name, f.type]))).toEqual(CORVO_TYPES);
    const sampleLines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(allSamples(expo)).toHaveLength(sampleLines.length);
  });

  it('attaches the interleaved corvo_http_* samples by name, not by position', () => {
    const names = (name: string) => family(expo, name).samples.map((s) => `${s.name} ${s.labels.route ?? ''}`);
    expect(names('corvo_http_requests_total')).toEqual([
      'corvo_http_requests_total /api/v1/queues',
      'corvo_http_requests_total /api/v1/jobs/:id/retry',
    ]);
    expect(names('corvo_http_request_errors_total')).toEqual([
      'corvo_http_request_errors_total /api/v1/queues',
      'corvo_http_request_errors_total /api/v1/jobs/:id/retry',
    ]);
    expect(names('corvo_http_requests_in_flight')).toEqual(['corvo_http_requests_in_flight ']);
    expect(family(expo, 'corvo_rate_limit_throttled_total').samples).toEqual([]);

    const duration = family(expo, 'corvo_http_request_duration_seconds').samples;
    expect(duration).toHaveLength(2 * (13 + 2));
    const queues = duration.filter((s) => s.labels.route === '/api/v1/queues');
    expect(queues.filter((s) => s.name.endsWith('_bucket'))).toHaveLength(13);
    expect(queues.find((s) => s.name.endsWith('_count'))?.value).toBe(120);
    expect(queues.find((s) => s.name.endsWith('_sum'))?.value).toBe(0.142331007);
  });

  it('reads HELP and label values', () => {
    expect(family(expo, 'corvo_raft_state').help).toBe('Raft state: 0=follower, 1=candidate, 2=leader, 3=shutdown.');
    expect(family(expo, 'corvo_queue_jobs').samples[3]).toEqual({
      name: 'corvo_queue_jobs',
      labels: { queue: 'emails', state: 'completed' },
      value: 99120,
    });
    const apply = family(expo, 'corvo_raft_apply_time_seconds').samples;
    expect(apply[0]).toEqual({ name: 'corvo_raft_apply_time_seconds_bucket', labels: { le: '5e-05' }, value: 1200000 });
  });

  it('survives the multi-raft variant: <nil> values become problems, the rest still parses', () => {
    // targets.md §1.6: with --raft-shards>1 Corvo prints <nil> for the apply gauges, 0 for the state, and drops the
    // mirror, index and snapshot lines and the raft histograms.
    const dropped =
      /^(?:# (?:HELP|TYPE) )?corvo_(?:sqlite_mirror_|raft_(?:applied_index|commit_index|snapshot_latest_index|queue_time_seconds|apply_time_seconds))/;
    const lines = text
      .replace('corvo_raft_apply_pending 37', 'corvo_raft_apply_pending <nil>')
      .replace('corvo_raft_apply_max_pending 16384', 'corvo_raft_apply_max_pending <nil>')
      .replace('corvo_raft_state 2', 'corvo_raft_state 0')
      .split('\n')
      .filter((line) => !dropped.test(line));
    const multi = parseExposition(lines.join('\n'));

    const lineOf = (line: string) => lines.indexOf(line) + 1;
    expect(lineOf('corvo_raft_apply_pending <nil>')).toBeGreaterThan(0);
    expect(multi.problems).toEqual([
      `line ${lineOf('corvo_raft_apply_pending <nil>')}: corvo_raft_apply_pending has value "<nil>", not a number (Corvo prints this under --raft-shards > 1)`,
      `line ${lineOf('corvo_raft_apply_max_pending <nil>')}: corvo_raft_apply_max_pending has value "<nil>", not a number (Corvo prints this under --raft-shards > 1)`,
    ]);
    expect(family(multi, 'corvo_raft_apply_pending')).toMatchObject({ type: 'gauge', samples: [] });
    expect(family(multi, 'corvo_raft_state').samples).toEqual([{ name: 'corvo_raft_state', labels: {}, value: 0 }]);
    expect(multi.families.has('corvo_raft_queue_time_seconds')).toBe(false);
    expect(multi.families.size).toBe(Object.keys(CORVO_TYPES).length - 7);
    expect(family(multi, 'corvo_http_request_duration_seconds').samples).toHaveLength(30);
    expect(family(multi, 'corvo_http_requests_in_flight').samples[0]?.value).toBe(1);
  });
});

describe('parseExposition: size', () => {
  it('parses a 5 MB exposition with two interleaved families', () => {
    const lines = [
      '# HELP big_requests_total Requests.',
      '# TYPE big_requests_total counter',
      '# TYPE big_latency_seconds histogram',
    ];
    let size = 0;
    let series = 0;
    while (size < 5 * 1024 * 1024) {
      const labels = `shard="${series % 64}",path="/api/v1/items/${series}",note="a \\"quoted\\" \\\\ value"`;
      const a = `big_requests_total{${labels}} ${series} 1700000000000`;
      const b = `big_latency_seconds_bucket{${labels},le="+Inf"} ${series * 2}`;
      lines.push(a, b);
      size += a.length + b.length + 2;
      series++;
    }
    const text = lines.join('\n') + '\n';
    expect(text.length).toBeGreaterThanOrEqual(5 * 1024 * 1024);

    const expo = parseExposition(text);
    expect(expo.problems).toEqual([]);
    expect([...expo.families.keys()]).toEqual(['big_requests_total', 'big_latency_seconds']);
    const requests = family(expo, 'big_requests_total').samples;
    const latency = family(expo, 'big_latency_seconds').samples;
    expect(requests).toHaveLength(series);
    expect(latency).toHaveLength(series);
    expect(requests[series - 1]).toEqual({
      name: 'big_requests_total',
      labels: { shard: String((series - 1) % 64), path: `/api/v1/items/${series - 1}`, note: 'a "quoted" \\ value' },
      value: series - 1,
      timestampMs: 1700000000000,
    });
    expect(latency[series - 1]?.value).toBe((series - 1) * 2);
  });

  it('reads a 1 MB label value full of escapes', () => {
    const value = 'ab\\"c\\\\'.repeat(150_000);
    const expo = parseExposition(`a{x="${value}"} 1\n`);
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)[0]?.labels.x).toBe('ab"c\\'.repeat(150_000));
  });
});

describe('parseExposition: what upstream 0.0.4 parsers accept (test/conformance)', () => {
  it.each([
    ['blanks between the name and "{"', 'a {x="1"} 2\na\t\t{ x = "2" }\t3\n'],
    ['a value right after "}"', 'a{x="1"}2\na{ x = "2" , }3\n'],
    ['labels separated by a blank only (prometheus/prometheus)', 'a{x="1" y="2"} 2\na{x="2" y="2"} 3\n'],
  ])('reads %s', (_title, text) => {
    const expo = parseExposition(text);
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo).map((s) => s.value)).toEqual([2, 3]);
  });

  it('reads a lone comma in a label set as no labels', () => {
    const expo = parseExposition('b{,} 2\nc{  ,} 3\n');
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo)).toEqual([
      { name: 'b', labels: {}, value: 2 },
      { name: 'c', labels: {}, value: 3 },
    ]);
  });

  it('keeps OpenMetrics strict: no blank before "{"', () => {
    expect(parseExposition('a {x="1"} 2\n# EOF\n').problems).toHaveLength(1);
  });

  it('skips "# HELP" without a name or without text, as comments', () => {
    const expo = parseExposition('# HELP\n# HELP \n# HELP a\n# HELP a\n# HELP a the text\na 1\n');
    expect(expo.problems).toEqual([]);
    expect(family(expo, 'a').help).toBe('the text');
  });

  it('keeps the first of two samples of one series at the same instant (to the nanosecond)', () => {
    const text = 'a{x="1"} 1 0.0000000000\na{x="1"} 2 0.0000000001\na{x="1"} 3 0.0000000010\n# EOF\n';
    const expo = parseExposition(text);
    expect(expo.problems).toEqual([]);
    expect(allSamples(expo).map((s) => s.value)).toEqual([1, 3]);
  });

  it('says native-histogram samples and the gauge_histogram extension are not supported', () => {
    const native = parseExposition('# TYPE h histogram\nh {count:24,sum:100,schema:0} \n# EOF\n');
    expect(native.problems).toEqual([
      expect.stringMatching(/^line 2: h is a native-histogram sample .* not supported/),
    ]);
    const gauge = parseExposition('# TYPE g gauge_histogram\ng_bucket{le="+Inf"} 1\n');
    expect(gauge.problems).toEqual([expect.stringMatching(/gauge_histogram extension is not supported/)]);
    expect(family(gauge, 'g_bucket').samples).toHaveLength(1);
  });
});
