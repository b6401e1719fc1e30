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
// Environment: HOST (default 127.0.0.1), PORT (default 3001; 0 picks a free port), LOG_LEVEL
// (error, warn, info, debug; default info). Logs are JSON lines on standard output.

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

class HttpError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
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
      if (!refused) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function parseJsonObject(text) {
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
      throw new HttpError(400, `${name} must be a non-empty string`, name);
    }
    if (value.length > MAX_LABEL_LENGTH || value.includes('\0')) {
      throw new HttpError(400,
        `${name} must be at most ${MAX_LABEL_LENGTH} characters, without NUL`, name);
    }
    return value;
  },
  seconds(body, name) {
    const value = body[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new HttpError(400, `${name} must be a finite number of seconds, 0 or more`, name);
    }
    return value;
  },
  count(body, name) {
    const value = body[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new HttpError(400, `${name} must be a whole number, 0 or more`, name);
    }
    return value;
  },
};

function pathParameter(raw, name) {
  let value;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${name} in the path is not valid percent-encoding`, name);
  }
  return fields.label({ [name]: value }, name);
}

// ---- routes ------------------------------------------------------------------------------

function makeRoutes(registry, core) {
  const recorded = (metric) => ({ status: 200, json: { ok: true, metric } });

  async function blocking(request, [rawId]) {
    const body = parseJsonObject(await readBody(request));
    const coordinatorId = pathParameter(rawId, 'id');
    const swarmId = fields.label(body, 'swarmId');
    const status = fields.label(body, 'status');
    const duration = fields.seconds(body, 'durationSeconds');
    core.blocking_duration_seconds.labels(swarmId, coordinatorId, status).observe(duration);
    return recorded('blocking_duration_seconds');
  }

  async function signal(request) {
    const body = parseJsonObject(await readBody(request));
    const sender = fields.label(body, 'senderId');
    const receiver = fields.label(body, 'receiverId');
    const type = fields.label(body, 'signalType');
    const latency = fields.seconds(body, 'latencySeconds');
    core.signal_delivery_latency_seconds.labels(sender, receiver, type).observe(latency);
    return recorded('signal_delivery_latency_seconds');
  }

  async function heartbeatFailure(request) {
    const body = parseJsonObject(await readBody(request));
    const coordinatorId = fields.label(body, 'coordinatorId');
    const failureType = fields.label(body, 'failureType');
    core.heartbeat_failures_total.labels(coordinatorId, failureType).inc();
    return recorded('heartbeat_failures_total');
  }

  async function timeout(request) {
    const body = parseJsonObject(await readBody(request));
    const coordinatorId = fields.label(body, 'coordinatorId');
    const timeoutType = fields.label(body, 'timeoutType');
    core.timeout_events_total.labels(coordinatorId, timeoutType).inc();
    return recorded('timeout_events_total');
  }

  async function swarmCoordinators(request, [rawSwarmId]) {
    const body = parseJsonObject(await readBody(request));
    const swarmId = pathParameter(rawSwarmId, 'swarmId');
    const phase = fields.label(body, 'phase');
    const status = fields.label(body, 'status');
    const count = fields.count(body, 'count');
    core.blocking_coordinators_total.labels(swarmId, phase, status).set(count);
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
  response.writeHead(status, { ...contentType, ...headers,
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
      result = { status: error.status,
        json: error.field === undefined ? { error: error.message }
          : { error: error.message, field: error.field } };
      if (error.status === 413) {
        // The rest of the body is discarded, then the connection closed.
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
  return { host, port, level };
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

  const server = http.createServer(makeHandler(makeRoutes(registry, core), log));
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
    // Finish requests in flight for up to 5 s, then drop what is left.
    const deadline = setTimeout(() => server.closeAllConnections(), 5000);
    deadline.unref();
    server.close(() => {
      log('info', 'stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) main();

module.exports = { configuration, makeHandler, makeRoutes };
