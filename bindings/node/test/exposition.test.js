'use strict';
// Values recorded through the binding render exactly, in both formats.

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');

const {
  DEFAULT_BUCKETS,
  Registry,
  negotiateFormat,
  registerCoreMetrics,
} = require('../lib/index.js');

// The lines of an exposition without its OpenMetrics _created samples, whose values are clocks.
function lines(text) {
  return text.split('\n').filter((line) => line !== '' && !/_created[{ ]/.test(line));
}

describe('text format 0.0.4', () => {
  test('a counter renders whole and fractional increments', () => {
    const registry = new Registry();
    const jobs = registry.counter({
      name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'],
    });
    const fast = jobs.labels('fast');
    fast.inc();
    fast.inc(2.5);
    jobs.labels({ queue: 'slow' }).inc(3);
    assert.deepEqual(lines(registry.metrics()), [
      '# HELP jobs_total Jobs done.',
      '# TYPE jobs_total counter',
      'jobs_total{queue="fast"} 3.5',
      'jobs_total{queue="slow"} 3',
    ]);
    assert.equal(fast.value(), 3.5);
  });

  test('a gauge is set, raised and lowered', () => {
    const registry = new Registry();
    const temperature = registry.gauge({ name: 'temperature_celsius', help: 'Temperature.' });
    temperature.set(-1.5);
    temperature.inc();
    temperature.dec(0.25);
    temperature.inc(10);
    assert.deepEqual(lines(registry.metrics()), [
      '# HELP temperature_celsius Temperature.',
      '# TYPE temperature_celsius gauge',
      'temperature_celsius 9.25',
    ]);
    assert.equal(temperature.value(), 9.25);
  });

  test('a histogram renders cumulative buckets, sum and count', () => {
    const registry = new Registry();
    const latency = registry.histogram({
      name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 1, 5],
    });
    const home = latency.labels('/');
    for (const value of [0.05, 0.1, 0.5, 3, 7]) home.observe(value);
    assert.deepEqual(lines(registry.metrics()), [
      '# HELP latency_seconds Latency.',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{route="/",le="0.1"} 2',
      'latency_seconds_bucket{route="/",le="1"} 3',
      'latency_seconds_bucket{route="/",le="5"} 4',
      'latency_seconds_bucket{route="/",le="+Inf"} 5',
      'latency_seconds_sum{route="/"} 10.65',
      'latency_seconds_count{route="/"} 5',
    ]);
  });

  test('a histogram without buckets gets the default ones', () => {
    const registry = new Registry();
    registry.histogram({ name: 'wait_seconds', help: 'Wait.' }).observe(0.3);
    const bounds = lines(registry.metrics())
      .filter((line) => line.startsWith('wait_seconds_bucket'))
      .map((line) => line.match(/le="([^"]+)"/)[1]);
    assert.deepEqual(bounds, [...DEFAULT_BUCKETS.map(String), '+Inf']);
  });

  test('label values and help text are escaped', () => {
    const registry = new Registry();
    const family = registry.counter({
      name: 'escaped_total', help: 'Back\\slash and\nnewline', labelNames: ['value'],
    });
    family.labels('quote " backslash \\ newline \n é').inc();
    assert.deepEqual(lines(registry.metrics()), [
      '# HELP escaped_total Back\\\\slash and\\nnewline',
      '# TYPE escaped_total counter',
      'escaped_total{value="quote \\" backslash \\\\ newline \\n é"} 1',
    ]);
  });

  test('special values render as Prometheus spells them', () => {
    const registry = new Registry();
    const gauge = registry.gauge({ name: 'special', help: 'Special.', labelNames: ['kind'] });
    gauge.labels('a_plus_inf').set(Infinity);
    gauge.labels('b_minus_inf').set(-Infinity);
    gauge.labels('c_nan').set(NaN);
    gauge.labels('d_tiny').set(1e-7);
    gauge.labels('e_huge').set(1e21);
    gauge.labels('f_negative_zero').set(-0);
    assert.deepEqual(lines(registry.metrics()).slice(2), [
      'special{kind="a_plus_inf"} +Inf',
      'special{kind="b_minus_inf"} -Inf',
      'special{kind="c_nan"} NaN',
      'special{kind="d_tiny"} 1e-07',
      'special{kind="e_huge"} 1e+21',
      'special{kind="f_negative_zero"} 0',
    ]);
  });

  test('families are sorted by name and series by label values', () => {
    const registry = new Registry();
    const b = registry.gauge({ name: 'b_value', help: 'B.', labelNames: ['k'] });
    const a = registry.gauge({ name: 'a_value', help: 'A.' });
    b.labels('z').set(1);
    b.labels('m').set(2);
    a.set(3);
    assert.deepEqual(lines(registry.metrics()).filter((line) => !line.startsWith('#')), [
      'a_value 3',
      'b_value{k="m"} 2',
      'b_value{k="z"} 1',
    ]);
  });

  test('an empty registry renders nothing', () => {
    assert.equal(new Registry().metrics(), '');
  });
});

describe('OpenMetrics 1.0', () => {
  test('counters lose _total in metadata, samples keep it, and # EOF ends the text', () => {
    const registry = new Registry();
    registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] })
      .labels('fast').inc(2);
    registry.histogram({ name: 'wait_seconds', help: 'Wait.', buckets: [1] }).observe(0.5);
    const text = registry.metrics({ format: 'openmetrics' });
    assert.ok(text.endsWith('# EOF\n'), text);
    assert.deepEqual(lines(text), [
      '# HELP jobs Jobs.',
      '# TYPE jobs counter',
      'jobs_total{queue="fast"} 2',
      '# HELP wait_seconds Wait.',
      '# TYPE wait_seconds histogram',
      'wait_seconds_bucket{le="1.0"} 1',
      'wait_seconds_bucket{le="+Inf"} 1',
      'wait_seconds_sum 0.5',
      'wait_seconds_count 1',
      '# EOF',
    ]);
    assert.match(text, /^jobs_created\{queue="fast"\} \d+(\.\d+)?$/m);
  });

  test('content types name the format and its version', () => {
    const registry = new Registry();
    assert.equal(registry.contentType(), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(registry.contentType('text'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(registry.contentType('openmetrics'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8');
  });

  test('negotiation picks OpenMetrics only when the Accept header prefers it', () => {
    const prometheus = 'application/openmetrics-text;version=1.0.0,' +
      'application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    assert.equal(negotiateFormat(prometheus), 'openmetrics');
    assert.equal(negotiateFormat('application/openmetrics-text'), 'openmetrics');
    assert.equal(negotiateFormat('text/plain;q=0.9, application/openmetrics-text;q=0.5'), 'text');
    assert.equal(negotiateFormat('application/openmetrics-text; version=2.0.0'), 'text');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'text');
    assert.equal(negotiateFormat('application/json'), 'text');
    assert.equal(negotiateFormat(undefined), 'text');
  });
});

describe('families', () => {
  test('registering an identical definition returns the same family', () => {
    const registry = new Registry();
    const options = { name: 'same_total', help: 'Same.', labelNames: ['k'] };
    registry.counter(options).labels('a').inc();
    registry.counter(options).labels('a').inc();
    assert.equal(registry.counter(options).labels('a').value(), 2);
  });

  test('remove drops one series and reset drops them all', () => {
    const registry = new Registry();
    const gauge = registry.gauge({ name: 'queue_depth', help: 'Depth.', labelNames: ['queue'] });
    const kept = gauge.labels('a');
    kept.set(1);
    gauge.labels('b').set(2);
    gauge.labels('c').set(3);
    gauge.remove('a');
    gauge.remove({ queue: 'b' });
    assert.deepEqual(lines(registry.metrics()).slice(2), ['queue_depth{queue="c"} 3']);

    // The removed series' object still works but no longer reaches the registry.
    kept.set(10);
    assert.equal(kept.value(), 10);
    assert.deepEqual(lines(registry.metrics()).slice(2), ['queue_depth{queue="c"} 3']);
    assert.equal(gauge.labels('a').value(), 0);

    gauge.reset();
    assert.deepEqual(lines(registry.metrics()), ['# HELP queue_depth Depth.',
      '# TYPE queue_depth gauge']);
  });

  test('reset starts an unlabelled family from zero', () => {
    const registry = new Registry();
    const counter = registry.counter({ name: 'restarts_total', help: 'Restarts.' });
    counter.inc(5);
    counter.reset();
    counter.inc();
    assert.deepEqual(lines(registry.metrics()).slice(2), ['restarts_total 1']);
  });

  test('unregister removes a family from the output', () => {
    const registry = new Registry();
    registry.gauge({ name: 'gone', help: 'Gone.' }).set(1);
    registry.gauge({ name: 'kept', help: 'Kept.' }).set(2);
    registry.unregister('gone');
    assert.deepEqual(lines(registry.metrics()), ['# HELP kept Kept.', '# TYPE kept gauge',
      'kept 2']);
  });

  test('a histogram times a block of code', () => {
    const registry = new Registry();
    const histogram = registry.histogram({ name: 'block_seconds', help: 'Block.', buckets: [60] });
    const stop = histogram.startTimer();
    const seconds = stop();
    assert.ok(seconds >= 0 && seconds < 60, String(seconds));
    assert.ok(lines(registry.metrics()).includes('block_seconds_count 1'));
  });
});

describe('core metrics', () => {
  test('registerCoreMetrics returns the five families, ready to record', () => {
    const registry = new Registry();
    const core = registerCoreMetrics(registry);
    assert.deepEqual(Object.keys(core), [
      'blocking_coordinators_total', 'blocking_duration_seconds',
      'signal_delivery_latency_seconds', 'heartbeat_failures_total', 'timeout_events_total',
    ]);
    assert.deepEqual(registerCoreMetrics(registry).timeout_events_total.labelNames,
      ['coordinator_id', 'timeout_type']);
    core.blocking_coordinators_total.labels('s1', 'waiting', 'active').set(3);
    core.heartbeat_failures_total.labels({ coordinator_id: 'c1', failure_type: 'stale' }).inc();
    core.signal_delivery_latency_seconds.labels('a', 'b', 'wake').observe(0.07);
    const text = lines(registry.metrics());
    assert.ok(text.includes('# TYPE blocking_coordinators_total gauge'));
    assert.ok(text.includes(
      'blocking_coordinators_total{swarm_id="s1",phase="waiting",status="active"} 3'));
    assert.ok(text.includes(
      'heartbeat_failures_total{coordinator_id="c1",failure_type="stale"} 1'));
    assert.ok(text.includes('signal_delivery_latency_seconds_bucket{sender_id="a",' +
      'receiver_id="b",signal_type="wake",le="0.05"} 0'));
    assert.ok(text.includes('signal_delivery_latency_seconds_bucket{sender_id="a",' +
      'receiver_id="b",signal_type="wake",le="0.1"} 1'));
    assert.ok(text.includes('# HELP blocking_duration_seconds ' +
      'Duration of blocking coordination in seconds'));
  });
});
