'use strict';
// Library failures are Errors with the cfn_status name as `code` and the library's message;
// arguments of the wrong type are TypeErrors naming the argument. Nothing here may crash Node.

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, test } = require('node:test');

const { Registry, registerCoreMetrics } = require('../lib/index.js');

function libraryError(code, message) {
  return (error) => {
    assert.equal(error.constructor, Error);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

function typeError(code, message) {
  return (error) => {
    assert.ok(error instanceof TypeError, `${error.constructor.name}: ${error.message}`);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

describe('errors from the library', () => {
  const registry = new Registry();
  const durations = registry.histogram({
    name: 'duration_seconds', help: 'Durations.', labelNames: ['swarm', 'status'], buckets: [1],
  });
  const requests = registry.counter({ name: 'requests_total', help: 'Requests.' });

  test('a wrong number of label values', () => {
    assert.throws(() => durations.labels('only-one'), libraryError('CFN_ERR_LABEL_COUNT',
      'metric duration_seconds: got 1 label values, expected 2 (swarm, status)'));
    assert.throws(() => durations.labels('a', 'b', 'c'), { code: 'CFN_ERR_LABEL_COUNT' });
    assert.throws(() => durations.observe(1), { code: 'CFN_ERR_LABEL_COUNT' });
  });

  test('a negative or NaN counter increment', () => {
    assert.throws(() => requests.inc(-1), libraryError('CFN_ERR_INVALID_VALUE',
      'counter requests_total: increment -1 is negative'));
    assert.throws(() => requests.inc(NaN), libraryError('CFN_ERR_INVALID_VALUE',
      'counter requests_total: increment NaN is NaN'));
    assert.equal(requests.value(), 0);
  });

  test('a NaN observation', () => {
    assert.throws(() => durations.labels('s', 'ok').observe(NaN), libraryError(
      'CFN_ERR_INVALID_VALUE', 'histogram duration_seconds: observation NaN is not a number'));
  });

  test('invalid metric and label names', () => {
    assert.throws(() => registry.counter({ name: '1st_total', help: 'x' }), libraryError(
      'CFN_ERR_INVALID_NAME',
      'invalid metric name "1st_total": must match [a-zA-Z_:][a-zA-Z0-9_:]*'));
    assert.throws(() => registry.gauge({ name: 'ok', help: 'x', labelNames: ['a-b'] }),
      libraryError('CFN_ERR_INVALID_NAME',
        'metric ok: invalid label name "a-b": must match [a-zA-Z_][a-zA-Z0-9_]*'));
    assert.throws(() => registry.histogram({ name: 'h', help: 'x', labelNames: ['le'] }),
      { code: 'CFN_ERR_INVALID_NAME' });
  });

  test('a conflicting registration', () => {
    assert.throws(() => registry.counter({ name: 'duration_seconds', help: 'Durations.',
      labelNames: ['swarm', 'status'] }), libraryError('CFN_ERR_CONFLICT',
      'metric duration_seconds is already registered: type counter differs from registered ' +
      'histogram'));
    assert.throws(() => registry.counter({ name: 'requests_total', help: 'Other help.' }),
      { code: 'CFN_ERR_CONFLICT' });
    assert.throws(() => registry.counter({ name: 'requests_total', help: 'Requests.',
      labelNames: ['route'] }), { code: 'CFN_ERR_CONFLICT' });
  });

  test('bad histogram buckets', () => {
    assert.throws(() => registry.histogram({ name: 'b1', help: 'x', buckets: [2, 1] }),
      libraryError('CFN_ERR_INVALID_VALUE',
        'metric b1: buckets must be strictly increasing, but 1 follows 2'));
    assert.throws(() => registry.histogram({ name: 'b2', help: 'x', buckets: [-Infinity, 1] }),
      libraryError('CFN_ERR_INVALID_VALUE', 'metric b2: bucket -Inf is not finite'));
    assert.throws(() => registry.histogram({ name: 'b3', help: 'x', buckets: [0, NaN] }),
      { code: 'CFN_ERR_INVALID_VALUE' });
  });

  test('removing what is not there', () => {
    assert.throws(() => registry.unregister('never_registered'),
      libraryError('CFN_ERR_NOT_FOUND', 'metric never_registered is not registered'));
    assert.throws(() => durations.remove('no', 'such'), libraryError('CFN_ERR_NOT_FOUND',
      'metric duration_seconds: no series with these label values'));
  });

  test('the registry keeps working after every failure', () => {
    durations.labels('s', 'ok').observe(0.5);
    requests.inc();
    const text = registry.metrics();
    assert.match(text, /^duration_seconds_count\{swarm="s",status="ok"\} 1$/m);
    assert.match(text, /^requests_total 1$/m);
  });
});

describe('arguments of the wrong type', () => {
  const registry = new Registry();
  const counter = registry.counter({ name: 'typed_total', help: 'T.', labelNames: ['a', 'b'] });
  const gauge = registry.gauge({ name: 'typed_gauge', help: 'T.' });
  const histogram = registry.histogram({ name: 'typed_seconds', help: 'T.' });

  test('label values must be strings', () => {
    assert.throws(() => counter.labels('x', 1), typeError('ERR_INVALID_ARG_TYPE',
      'labels: label value 1 (b) of typed_total must be a string, got number'));
    assert.throws(() => counter.labels(null, 'y'), { name: 'TypeError' });
    assert.throws(() => counter.labels({ a: 'x', b: undefined }), typeError(
      'ERR_INVALID_ARG_TYPE', 'labels: label b of typed_total must be a string, got undefined'));
    assert.throws(() => counter.labels({ a: 'x', b: 'y', c: 'z' }), typeError(
      'ERR_INVALID_ARG_VALUE', 'labels: c is not a label of typed_total (labels: a, b)'));
    assert.throws(() => counter.remove('x', 2), { name: 'TypeError' });
    assert.throws(() => counter.labels('x', 'nul\0inside'), typeError(
      'ERR_INVALID_ARG_VALUE', 'labelValues[1] must not contain NUL characters'));
  });

  test('values must be numbers', () => {
    const series = counter.labels('x', 'y');
    assert.throws(() => series.inc('1'), typeError('ERR_INVALID_ARG_TYPE',
      'delta must be a number, got string'));
    assert.throws(() => series.inc(1n), { name: 'TypeError' });
    assert.throws(() => gauge.set(null), typeError('ERR_INVALID_ARG_TYPE',
      'value must be a number, got null'));
    assert.throws(() => gauge.inc('2'), { name: 'TypeError' });
    assert.throws(() => gauge.dec('2'), { name: 'TypeError' });
    assert.throws(() => histogram.observe(undefined), typeError('ERR_INVALID_ARG_TYPE',
      'value must be a number, got undefined'));
    assert.equal(series.value(), 0);
  });

  test('family options are checked', () => {
    assert.throws(() => registry.counter('typed_total'), typeError('ERR_INVALID_ARG_TYPE',
      'counter: options must be an object, got string'));
    assert.throws(() => registry.counter({ name: 42, help: 'x' }), typeError(
      'ERR_INVALID_ARG_TYPE', 'name must be a string, got number'));
    assert.throws(() => registry.gauge({ name: 'g' }), typeError('ERR_INVALID_ARG_TYPE',
      'help must be a string, got undefined'));
    assert.throws(() => registry.gauge({ name: 'g', help: 'x', labelNames: 'a' }), typeError(
      'ERR_INVALID_ARG_TYPE', 'labelNames must be an array of strings, got string'));
    assert.throws(() => registry.gauge({ name: 'g', help: 'x', labelNames: [1] }), typeError(
      'ERR_INVALID_ARG_TYPE', 'labelNames[0] must be a string, got number'));
    assert.throws(() => registry.histogram({ name: 'h', help: 'x', buckets: ['1'] }), typeError(
      'ERR_INVALID_ARG_TYPE', 'buckets[0] must be a number, got string'));
    assert.throws(() => registry.counter({ name: 'c', help: 'x', labelnames: [] }), typeError(
      'ERR_INVALID_ARG_VALUE',
      'counter: options.labelnames is not an option (expected name, help, labelNames)'));
  });

  test('formats and registries are checked', () => {
    assert.throws(() => registry.metrics({ format: 'json' }), typeError('ERR_INVALID_ARG_VALUE',
      "options.format must be 'text' or 'openmetrics', got 'json'"));
    assert.throws(() => registry.contentType(1), typeError('ERR_INVALID_ARG_VALUE',
      "format must be 'text' or 'openmetrics', got number"));
    assert.throws(() => registerCoreMetrics({}), typeError('ERR_INVALID_ARG_TYPE',
      'registry must be a Registry, got object'));
    assert.throws(() => registry.unregister(undefined), typeError('ERR_INVALID_ARG_TYPE',
      'name must be a string, got undefined'));
  });

  test('the native layer refuses a handle of the wrong kind', () => {
    const addon = require(process.env.CFN_METRICS_ADDON ??
      path.join(__dirname, '..', 'build', 'cfn_metrics.node'));
    const registryHandle = addon.registryNew();
    const family = addon.gaugeFamily(registryHandle, 'raw', 'Raw.', []);
    assert.throws(() => addon.gaugeSet(family, 1), typeError('ERR_INVALID_ARG_TYPE',
      'series must be a cfn-metrics series handle, got another external'));
    assert.throws(() => addon.familySeries({}, []), typeError('ERR_INVALID_ARG_TYPE',
      'family must be a cfn-metrics family handle, got object'));
    assert.throws(() => addon.registryRender(registryHandle, 2), typeError(
      'ERR_INVALID_ARG_VALUE', 'format must be 0 (text 0.0.4) or 1 (OpenMetrics), got 2'));
    const series = addon.familySeries(family, []);
    assert.throws(() => addon.counterInc(series), libraryError('CFN_ERR_WRONG_TYPE',
      'metric raw is a gauge, not a counter'));
    assert.throws(() => addon.histogramObserve(series, 1), { code: 'CFN_ERR_WRONG_TYPE' });
  });
});
