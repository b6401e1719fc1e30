'use strict';
// cfn-metrics for Node.js: Prometheus counters, gauges and histograms kept in libcfnmetrics.
//
// This file is the public API. The native addon (src/) is a thin layer over cfn_metrics.h that
// takes and returns opaque handles; the classes below give them Prometheus vocabulary. Errors
// from the library are `Error`s whose `code` names the cfn_status (for example
// `CFN_ERR_LABEL_COUNT`) and whose message is the library's own; bad arguments are `TypeError`s
// with Node's `ERR_INVALID_ARG_TYPE` or `ERR_INVALID_ARG_VALUE` code.
//
// Ownership: every registry, family and series object holds one reference to its native handle,
// given back when the object is garbage-collected. The default registry is never released.

const fs = require('node:fs');
const path = require('node:path');

const native = loadAddon();

// Where build.sh puts the addon, then where node-gyp does (Release, then Debug builds).
// CFN_METRICS_ADDON names the file explicitly.
function loadAddon() {
  const root = path.join(__dirname, '..');
  const candidates = process.env.CFN_METRICS_ADDON
    ? [path.resolve(process.env.CFN_METRICS_ADDON)]
    : [['build'], ['build', 'Release'], ['build', 'Debug']]
        .map((parts) => path.join(root, ...parts, 'cfn_metrics.node'));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found === undefined) {
    const error = new Error(`cfn-metrics: the native addon is not built; looked for ${
      candidates.join(', ')}. Run bindings/node/build.sh (or node-gyp rebuild) first.`);
    error.code = 'ERR_CFN_ADDON_NOT_BUILT';
    throw error;
  }
  return require(found);
}

const INTERNAL = Symbol('cfn-metrics internal');
const UNLABELLED = Symbol('cfn-metrics unlabelled series');

const FORMATS = {
  text: { code: 0, contentType: 'text/plain; version=0.0.4; charset=utf-8' },
  openmetrics: {
    code: 1,
    contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  },
};

// The buckets of a histogram defined without any, as in the other Prometheus client libraries.
const DEFAULT_BUCKETS = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

function argumentError(code, message) {
  const error = new TypeError(message);
  error.code = code;
  return error;
}

function describe(value) {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function formatOf(format, what) {
  if (typeof format === 'string' && Object.hasOwn(FORMATS, format)) return FORMATS[format];
  throw argumentError('ERR_INVALID_ARG_VALUE',
    `${what} must be 'text' or 'openmetrics', got ${typeof format === 'string'
      ? `'${format}'` : describe(format)}`);
}

function checkOptions(options, allowed, method) {
  if (!isPlainObject(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE',
      `${method}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw argumentError('ERR_INVALID_ARG_VALUE',
        `${method}: options.${key} is not an option (expected ${allowed.join(', ')})`);
    }
  }
}

function checkNumber(value, what) {
  if (typeof value !== 'number') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${what} must be a number, got ${describe(value)}`);
  }
}

// ---- series: one labelled child, to keep and update without a lookup ------------------------

// Reads a series' native handle; set by the static block below, so that subclasses reach the
// handle while it stays off the public surface.
let handleOf;

class Series {
  #handle;

  static {
    handleOf = (series) => series.#handle;
  }

  constructor(token, handle) {
    if (token !== INTERNAL) {
      throw argumentError('ERR_ILLEGAL_CONSTRUCTOR', 'series come from family.labels()');
    }
    this.#handle = handle;
  }
}

class CounterSeries extends Series {
  /** Adds `delta` (default 1): finite or +Infinity, never negative or NaN. */
  inc(delta) {
    const handle = handleOf(this);
    if (delta === undefined) native.counterInc(handle);
    else native.counterAdd(handle, delta);
  }

  /** The current value. */
  value() {
    return native.seriesValue(handleOf(this));
  }
}

class GaugeSeries extends Series {
  set(value) {
    native.gaugeSet(handleOf(this), value);
  }

  inc(delta = 1) {
    native.gaugeAdd(handleOf(this), delta);
  }

  dec(delta = 1) {
    checkNumber(delta, 'delta');
    native.gaugeAdd(handleOf(this), -delta);
  }

  value() {
    return native.seriesValue(handleOf(this));
  }
}

class HistogramSeries extends Series {
  /** Records one observation; NaN is refused. */
  observe(value) {
    native.histogramObserve(handleOf(this), value);
  }

  /** Starts timing; the returned function observes the seconds elapsed and returns them. */
  startTimer() {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }
}

// ---- families: one metric name with its label names ------------------------------------------

class Family {
  #handle;
  #unlabelled = null;

  constructor(token, handle, name, labelNames) {
    if (token !== INTERNAL) {
      throw argumentError('ERR_ILLEGAL_CONSTRUCTOR',
        'families come from registry.counter(), .gauge() or .histogram()');
    }
    this.#handle = handle;
    this.name = name;
    this.labelNames = Object.freeze([...labelNames]);
    Object.freeze(this);
  }

  /**
   * The series with these label values, created on first use: either one string per label
   * name in order, or one object mapping every label name to its string value. Keep the series
   * to update it without a lookup.
   */
  labels(...values) {
    const handle = native.familySeries(this.#handle, this.#labelValues(values, 'labels'));
    return new this.constructor.Series(INTERNAL, handle);
  }

  /**
   * Removes one series. Series objects already taken for it keep working but no longer reach
   * the registry; labels() starts a new series from zero.
   */
  remove(...values) {
    native.familyRemove(this.#handle, this.#labelValues(values, 'remove'));
    this.#unlabelled = null;
  }

  /** Removes every series (see remove()); the family stays registered. */
  reset() {
    native.familyReset(this.#handle);
    this.#unlabelled = null;
  }

  // The series of a family without labels, for counter.inc() and the like.
  [UNLABELLED]() {
    if (this.#unlabelled === null) this.#unlabelled = this.labels();
    return this.#unlabelled;
  }

  #labelValues(values, method) {
    if (values.length === 1 && isPlainObject(values[0])) {
      return this.#labelValuesOf(values[0], method);
    }
    values.forEach((value, index) => {
      if (typeof value !== 'string') {
        const label = index < this.labelNames.length ? ` (${this.labelNames[index]})` : '';
        throw argumentError('ERR_INVALID_ARG_TYPE', `${method}: label value ${index}${label} ` +
          `of ${this.name} must be a string, got ${describe(value)}`);
      }
    });
    return values;
  }

  #labelValuesOf(object, method) {
    for (const key of Object.keys(object)) {
      if (!this.labelNames.includes(key)) {
        throw argumentError('ERR_INVALID_ARG_VALUE', `${method}: ${key} is not a label of ` +
          `${this.name} (labels: ${this.labelNames.join(', ') || 'none'})`);
      }
    }
    return this.labelNames.map((label) => {
      const value = object[label];
      if (typeof value !== 'string') {
        throw argumentError('ERR_INVALID_ARG_TYPE', `${method}: label ${label} of ${this.name} ` +
          `must be a string, got ${describe(value)}`);
      }
      return value;
    });
  }
}

class Counter extends Family {
  static Series = CounterSeries;

  /** Adds `delta` (default 1) to the series of a counter without labels. */
  inc(delta) {
    this[UNLABELLED]().inc(delta);
  }

  value() {
    return this[UNLABELLED]().value();
  }
}

class Gauge extends Family {
  static Series = GaugeSeries;

  set(value) {
    this[UNLABELLED]().set(value);
  }

  inc(delta = 1) {
    this[UNLABELLED]().inc(delta);
  }

  dec(delta = 1) {
    this[UNLABELLED]().dec(delta);
  }

  value() {
    return this[UNLABELLED]().value();
  }
}

class Histogram extends Family {
  static Series = HistogramSeries;

  observe(value) {
    this[UNLABELLED]().observe(value);
  }

  startTimer() {
    return this[UNLABELLED]().startTimer();
  }
}

// ---- registries --------------------------------------------------------------------------------

// The five blocking-coordination metrics of cfn_register_core_metrics, as in cfn_metrics.h.
const CORE_METRICS = [
  ['blocking_coordinators_total', Gauge, ['swarm_id', 'phase', 'status']],
  ['blocking_duration_seconds', Histogram, ['swarm_id', 'coordinator_id', 'status']],
  ['signal_delivery_latency_seconds', Histogram, ['sender_id', 'receiver_id', 'signal_type']],
  ['heartbeat_failures_total', Counter, ['coordinator_id', 'failure_type']],
  ['timeout_events_total', Counter, ['coordinator_id', 'timeout_type']],
];

class Registry {
  #handle;

  /** A new empty registry of its own; `defaultRegistry` is the one shared by the process. */
  constructor(token, handle) {
    this.#handle = token === INTERNAL ? handle : native.registryNew();
    Object.freeze(this);
  }

  /** Registers (or finds, when the definition is identical) a counter family. */
  counter(options) {
    checkOptions(options, ['name', 'help', 'labelNames'], 'counter');
    const { name, help, labelNames = [] } = options;
    const handle = native.counterFamily(this.#handle, name, help, labelNames);
    return new Counter(INTERNAL, handle, name, labelNames);
  }

  gauge(options) {
    checkOptions(options, ['name', 'help', 'labelNames'], 'gauge');
    const { name, help, labelNames = [] } = options;
    const handle = native.gaugeFamily(this.#handle, name, help, labelNames);
    return new Gauge(INTERNAL, handle, name, labelNames);
  }

  /** `buckets`: finite, strictly increasing upper bounds; +Inf is added. */
  histogram(options) {
    checkOptions(options, ['name', 'help', 'labelNames', 'buckets'], 'histogram');
    const { name, help, labelNames = [], buckets = DEFAULT_BUCKETS } = options;
    const handle = native.histogramFamily(this.#handle, name, help, labelNames, buckets);
    return new Histogram(INTERNAL, handle, name, labelNames);
  }

  /** Registers the five core metrics and returns their families, keyed by metric name. */
  registerCoreMetrics() {
    native.registerCoreMetrics(this.#handle);
    const families = {};
    for (const [name, Type, labelNames] of CORE_METRICS) {
      families[name] = new Type(INTERNAL, native.registryFamily(this.#handle, name), name,
        labelNames);
    }
    return Object.freeze(families);
  }

  /** Removes a family from the output; its objects keep working but no longer reach here. */
  unregister(name) {
    native.registryUnregister(this.#handle, name);
  }

  /** The exposition of every family: `format` is 'text' (0.0.4, default) or 'openmetrics'. */
  metrics(options = {}) {
    checkOptions(options, ['format'], 'metrics');
    const { code } = formatOf(options.format ?? 'text', 'options.format');
    return native.registryRender(this.#handle, code);
  }

  /** The Content-Type header value for metrics() in `format`. */
  contentType(format = 'text') {
    return formatOf(format, 'format').contentType;
  }
}

const defaultRegistry = new Registry(INTERNAL, native.registryDefault());

/** Registers the five core metrics in `registry` (default: the process-wide one). */
function registerCoreMetrics(registry = defaultRegistry) {
  if (!(registry instanceof Registry)) {
    throw argumentError('ERR_INVALID_ARG_TYPE',
      `registry must be a Registry, got ${describe(registry)}`);
  }
  return registry.registerCoreMetrics();
}

/**
 * The format to answer a scrape with, from its Accept header: 'openmetrics' when the client
 * prefers application/openmetrics-text (version 1.0.0, 0.0.1 or none), else 'text'.
 */
function negotiateFormat(accept) {
  if (typeof accept !== 'string') return 'text';
  let best = null;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    let quality = 1;
    let version = null;
    for (const parameter of parameters) {
      if (parameter.startsWith('q=')) {
        const parsed = Number.parseFloat(parameter.slice(2));
        if (!Number.isNaN(parsed)) quality = parsed;
      } else if (parameter.startsWith('version=')) {
        version = parameter.slice(8);
      }
    }
    let format;
    if (type === 'application/openmetrics-text' &&
        (version === null || version === '1.0.0' || version === '0.0.1')) {
      format = 'openmetrics';
    } else if (type === 'text/plain' || type === 'text/*' || type === '*/*') {
      format = 'text';
    } else {
      continue;
    }
    if (quality > 0 && (best === null || quality > best.quality)) best = { format, quality };
  }
  return best === null ? 'text' : best.format;
}

module.exports = {
  Registry,
  Counter,
  Gauge,
  Histogram,
  CounterSeries,
  GaugeSeries,
  HistogramSeries,
  defaultRegistry,
  registerCoreMetrics,
  negotiateFormat,
  DEFAULT_BUCKETS,
  /** The version of the loaded libcfnmetrics, "MAJOR.MINOR.PATCH". */
  libraryVersion: native.version(),
  /** Native handles of this thread not yet garbage-collected, by kind (for leak checks). */
  liveHandles: () => native.stats(),
};
