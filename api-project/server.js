'use strict';
// The coordinators' metrics API: JSON endpoints that record the five core metrics into this
// process's default cfn-metrics registry, and the Prometheus scrape endpoint that serves it.
//
//   POST /api/coordinators/:id/blocking   {swarmId, status, durationSeconds}
//   POST /api/signals                     {senderId, receiverId, signalType, latencySeconds}
//   POST /api/heartbeat-failures          {coordinatorId, failureType}
//   POST /api/timeouts                    {coordinatorId, timeoutType}
//   PUT  /api/swarms/:swarmId/coordinators {phase, status, count}
//   GET  /prometheus/metrics, /metrics    text 0.0.4, or OpenMetrics when Accept asks for it
//   GET  /-/healthy
//
// POST and PUT bodies must be sent as `Content-Type: application/json` (parameters such as
// `; charset=utf-8` are allowed; another charset is not), else 415: a browser page cannot send
// that type across origins without a preflight. A body must be valid UTF-8, and a label value
// valid Unicode (no lone surrogates such as "\ud800"), at most 256 code points long and without
// NUL, else 400 (naming the field when it is a label): nothing is turned into U+FFFD, so distinct
// values never merge into one series.
//
// Each metric keeps at most MAX_SERIES_PER_METRIC series (label value combinations). A request
// that would add one more gets 429 with {error, metric, limit}; series that exist keep updating.
// The refusal is logged as a warning at most once a minute per metric, with the number refused.
//
// On SIGTERM or SIGINT the server stops accepting connections and closes idle ones; requests in
// flight, and connections part-way through sending one, get 5 s to finish. Then every connection
// is closed and the process exits with status 0.
//
// Environment: HOST (default 127.0.0.1), PORT (default 3001; 0 picks a free port), LOG_LEVEL
// (error, warn, info, debug; default info), MAX_SERIES_PER_METRIC (a whole number from 1,
// default 10000). A malformed value stops the server with status 2 and a log line naming it.
// Logs are JSON lines on standard output.

const http = require('node:http');

const metrics = loadMetrics();

// cfn-metrics as an installed package (npm links it from ../bindings/node), else straight from
// the repository checkout this project lives in.
function loadMetrics() {
  try {
    return require('cfn-metrics');
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND' || !error.message.includes("'cfn-metrics'")) throw error;
    return require('../bindings/node');
  }
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_LABEL_LENGTH = 256;
const DEFAULT_MAX_SERIES = 10_000;
const LIMIT_LOG_INTERVAL_MS = 60_000;
const SHUTDOWN_GRACE_MS = 5000;
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 };

// ---- logging ------------------------------------------------------------------------------

function makeLogger(levelName) {
  const threshold = LEVELS[levelName];
  return (level, msg, fields = {}) => {
    if (LEVELS[level] <= threshold) {
      process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
    }
  };
}

// ---- request bodies ------------------------------------------------------------------------

// `details` ({field}, {metric, limit}) go into the JSON answer next to `error`.
class HttpError extends Error {
  constructor(status, message, details = {}) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

// POST and PUT need `application/json`, with parameters allowed but no charset other than UTF-8.
function checkJsonContentType(request) {
  const header = request.headers['content-type'];
  const [type, ...parameters] = (header ?? '').split(';').map((part) => part.trim());
  const charset = parameters.map((parameter) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(parameter))
    .find((match) => match !== null);
  if (type.toLowerCase() !== 'application/json' ||
      (charset !== undefined && charset[1].toLowerCase() !== 'utf-8')) {
    throw new HttpError(415, `Content-Type must be application/json (UTF-8), got ${
      header === undefined ? 'none' : JSON.stringify(header)}`);
  }
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, `body is larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const chunks = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        reject(new HttpError(413, `body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function parseJsonObject(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8');
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `body is not valid JSON: ${error.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  return value;
}

// Field checks: each returns the checked value or throws a 400 naming the field.
const fields = {
  label(body, name) {
    const value = body[name];
    if (typeof value !== 'string' || value === '') {
      throw new HttpError(400, `${name} must be a non-empty string`, { field: name });
    }
    if (!value.isWellFormed()) {
      throw new HttpError(400,
        `${name} must be valid Unicode, without lone surrogates`, { field: name });
    }
    if ([...value].length > MAX_LABEL_LENGTH || value.includes('\0')) {
      throw new HttpError(400, `${name} must be at most ${MAX_LABEL_LENGTH} characters ` +
        '(Unicode code points), without NUL', { field: name });
    }
    return value;
  },
  seconds(body, name) {
    const value = body[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new HttpError(400, `${name} must be a finite number of seconds, 0 or more`,
        { field: name });
    }
    return value;
  },
  count(body, name) {
    const value = body[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new HttpError(400, `${name} must be a whole number, 0 or more`, { field: name });
    }
    return value;
  },
};

function pathParameter(raw, name) {
  let value;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${name} in the path is not valid percent-encoding`,
      { field: name });
  }
  return fields.label({ [name]: value }, name);
}

// ---- series limit ------------------------------------------------------------------------

// The series of each family the routes record into, kept by label values so that an update
// needs no lookup in the library. A family holds at most `max`: a request that would add one
// more is refused with 429, logged at most once per `logInterval` ms per metric.
function makeSeriesLimit({ max, log, now = () => performance.now(),
  logInterval = LIMIT_LOG_INTERVAL_MS }) {
  const families = new Map();
  return function seriesOf(family, ...values) {
    let state = families.get(family.name);
    if (state === undefined) {
      state = { series: new Map(), loggedAt: -Infinity, refused: 0 };
      families.set(family.name, state);
    }
    // Label values never hold NUL (fields.label refuses it), so the key is unambiguous.
    const key = values.join('\0');
    let series = state.series.get(key);
    if (series !== undefined) return series;
    if (state.series.size >= max) {
      state.refused += 1;
      const time = now();
      if (time - state.loggedAt >= logInterval) {
        log('warn', 'series limit reached, new series refused',
          { metric: family.name, limit: max, refused: state.refused });
        state.loggedAt = time;
        state.refused = 0;
      }
      const message = `${family.name} already has ${max} series, its limit ` +
        '(MAX_SERIES_PER_METRIC); only existing series can be updated';
      throw new HttpError(429, message, { metric: family.name, limit: max });
    }
    series = family.labels(...values);
    state.series.set(key, series);
    return series;
  };
}

// ---- routes ------------------------------------------------------------------------------

function makeRoutes(registry, core, seriesOf) {
  const recorded = (metric) => ({ status: 200, json: { ok: true, metric } });

  async function blocking(request, [rawId]) {
    const body = parseJsonObject(await readBody(request));
    const coordinatorId = pathParameter(rawId, 'id');
    const swarmId = fields.label(body, 'swarmId');
    const status = fields.label(body, 'status');
    const duration = fields.seconds(body, 'durationSeconds');
    seriesOf(core.blocking_duration_seconds, swarmId, coordinatorId, status).observe(duration);
    return recorded('blocking_duration_seconds');
  }

  async function signal(request) {
    const body = parseJsonObject(await readBody(request));
    const sender = fields.label(body, 'senderId');
    const receiver = fields.label(body, 'receiverId');
    const type = fields.label(body, 'signalType');
    const latency = fields.seconds(body, 'latencySeconds');
    seriesOf(core.signal_delivery_latency_seconds, sender, receiver, type).observe(latency);
    return recorded('signal_delivery_latency_seconds');
  }

  async function heartbeatFailure(request) {
    const body = parseJsonObject(await readBody(request));
    const coordinatorId = fields.label(body, 'coordinatorId');
    const failureType = fields.label(body, 'failureType');
    seriesOf(core.heartbeat_failures_total, coordinatorId, failureType).inc();
    return recorded('heartbeat_failures_total');
  }

  async function timeout(request) {
    const body = parseJsonObject(await readBody(request));
    const coordinatorId = fields.label(body, 'coordinatorId');
    const timeoutType = fields.label(body, 'timeoutType');
    seriesOf(core.timeout_events_total, coordinatorId, timeoutType).inc();
    return recorded('timeout_events_total');
  }

  async function swarmCoordinators(request, [rawSwarmId]) {
    const body = parseJsonObject(await readBody(request));
    const swarmId = pathParameter(rawSwarmId, 'swarmId');
    const phase = fields.label(body, 'phase');
    const status = fields.label(body, 'status');
    const count = fields.count(body, 'count');
    seriesOf(core.blocking_coordinators_total, swarmId, phase, status).set(count);
    return recorded('blocking_coordinators_total');
  }

  function scrape(request) {
    const format = metrics.negotiateFormat(request.headers.accept);
    return {
      status: 200,
      headers: { 'Content-Type': registry.contentType(format), Vary: 'Accept' },
      text: registry.metrics({ format }),
    };
  }

  const healthy = () => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, text: 'OK\n' });

  // [path pattern, {method: handler}]; a pattern's groups are the handler's path parameters.
  return [
    [/^\/api\/coordinators\/([^/]+)\/blocking$/, { POST: blocking }],
    [/^\/api\/signals$/, { POST: signal }],
    [/^\/api\/heartbeat-failures$/, { POST: heartbeatFailure }],
    [/^\/api\/timeouts$/, { POST: timeout }],
    [/^\/api\/swarms\/([^/]+)\/coordinators$/, { PUT: swarmCoordinators }],
    [/^\/(?:prometheus\/)?metrics$/, { GET: scrape, HEAD: scrape }],
    [/^\/-\/healthy$/, { GET: healthy, HEAD: healthy }],
  ];
}

function send(response, { status, headers = {}, json, text }) {
  const body = json === undefined ? text : `${JSON.stringify(json)}\n`;
  const contentType = json === undefined ? {} : { 'Content-Type': 'application/json' };
  // A server that is stopping says so, rather than offering to keep the connection.
  const closing = response.socket?.server?.listening === false ? { Connection: 'close' } : {};
  response.writeHead(status, { ...contentType, ...headers, ...closing,
    'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function makeHandler(routes, log) {
  async function route(request) {
    let path;
    try {
      path = new URL(request.url, 'http://localhost').pathname;
    } catch {
      throw new HttpError(400, 'the request target is not a valid URL path');
    }
    for (const [pattern, methods] of routes) {
      const match = pattern.exec(path);
      if (match === null) continue;
      const handler = methods[request.method];
      if (handler === undefined) {
        const allowed = Object.keys(methods);
        return { status: 405, headers: { Allow: allowed.join(', ') },
          json: { error: `method ${request.method} is not allowed on ${path}`, allowed } };
      }
      if (request.method === 'POST' || request.method === 'PUT') checkJsonContentType(request);
      return handler(request, match.slice(1));
    }
    return { status: 404, json: { error: `no route for ${path}` } };
  }

  return async (request, response) => {
    let result;
    try {
      result = await route(request);
    } catch (error) {
      if (!(error instanceof HttpError)) {
        log('error', 'request failed', { method: request.method, url: request.url,
          error: error.message, code: error.code });
        error = new HttpError(500, 'internal error');
      }
      result = { status: error.status, json: { error: error.message, ...error.details } };
      if (error.status === 413 || error.status === 415) {
        // The rest of the body, unread, is discarded, then the connection closed.
        result.headers = { Connection: 'close' };
        request.resume();
      }
    }
    log('debug', 'request', { method: request.method, url: request.url, status: result.status });
    send(response, result);
  };
}

// ---- start and stop --------------------------------------------------------------------------

function configuration(env) {
  const host = env.HOST || '127.0.0.1';
  const portText = env.PORT ?? '3001';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    return { error: `PORT must be a whole number from 0 to 65535, got "${portText}"` };
  }
  const level = env.LOG_LEVEL || 'info';
  if (!Object.hasOwn(LEVELS, level)) {
    return { error: `LOG_LEVEL must be one of ${Object.keys(LEVELS).join(', ')}, got "${level}"` };
  }
  const maxText = env.MAX_SERIES_PER_METRIC ?? String(DEFAULT_MAX_SERIES);
  const maxSeries = Number(maxText);
  if (!/^\d+$/.test(maxText) || maxSeries < 1 || !Number.isSafeInteger(maxSeries)) {
    return { error: 'MAX_SERIES_PER_METRIC must be a whole number, 1 or more, got ' +
      `"${maxText}"` };
  }
  return { host, port, level, maxSeries };
}

function main() {
  const config = configuration(process.env);
  if (config.error !== undefined) {
    makeLogger('error')('error', 'invalid configuration', { error: config.error });
    process.exit(2);
  }
  const log = makeLogger(config.level);
  const registry = metrics.defaultRegistry;
  const core = metrics.registerCoreMetrics(registry);

  const seriesOf = makeSeriesLimit({ max: config.maxSeries, log });
  const server = http.createServer(makeHandler(makeRoutes(registry, core, seriesOf), log));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.on('error', (error) => {
    log('error', 'cannot listen', { host: config.host, port: config.port, error: error.message,
      code: error.code });
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { address, port, family } = server.address();
    const host = family === 'IPv6' ? `[${address}]` : address;
    log('info', 'listening', { address: `${host}:${port}` });
  });

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    server.close(() => {
      log('info', 'stopped');
      process.exit(0);
    });
    // Idle connections go now; requests in flight, and connections part-way through sending
    // one, get until the deadline, then every connection is closed. Should anything still hold
    // the server open after that, the process exits anyway.
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      setTimeout(() => {
        log('warn', 'stopped with connections still open');
        process.exit(0);
      }, 500).unref();
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) main();

module.exports = { configuration, makeHandler, makeRoutes, makeSeriesLimit };
