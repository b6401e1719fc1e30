'use strict';
// The API server as a child process on 127.0.0.1, port 0: every endpoint, every refusal, then
// the exact values of a scrape.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { after, before, describe, test } = require('node:test');

const SERVER = path.join(__dirname, '..', 'server.js');
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

// Starts server.js; resolves once it logged its address. `lines` collects every log line.
function startServer(env = {}) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { child, lines: [], stderr: '' };
  child.stderr.on('data', (chunk) => { server.stderr += chunk; });
  server.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  server.ready = new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      server.lines.push(line);
      const entry = JSON.parse(line);
      if (entry.msg === 'listening') {
        server.address = entry.address;
        resolve(server);
      }
    });
    server.exited.then(({ code }) => reject(new Error(
      `server exited with ${code} before listening:\n${server.lines.join('\n')}${server.stderr}`)));
  });
  return server;
}

async function stopServer(server, signal = 'SIGTERM') {
  if (server.child.exitCode === null) server.child.kill(signal);
  return server.exited;
}

// One HTTP request; resolves with the status, headers and body text.
function request(server, method, target, { body, headers = {} } = {}) {
  const [host, port] = server.address.split(':');
  const payload = body === undefined ? undefined
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  // A header given as null is left out.
  const merged = payload === undefined ? { ...headers }
    : { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...headers };
  for (const name of Object.keys(merged)) if (merged[name] === null) delete merged[name];
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host, port: Number(port), method, path: target,
      headers: merged }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers,
        text: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function json(server, method, target, body) {
  const response = await request(server, method, target, { body });
  assert.equal(response.headers['content-type'], 'application/json', response.text);
  return { status: response.status, headers: response.headers, body: JSON.parse(response.text) };
}

// The samples of a text exposition as {"name{labels}": value}.
function parseSamples(text) {
  const samples = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return samples;
}

describe('the API server', () => {
  let server;

  before(async () => {
    server = await startServer().ready;
  });

  after(async () => {
    await stopServer(server);
  });

  test('logs its address as one JSON line', () => {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(JSON.parse(server.lines[0]),
      { level: 'info', msg: 'listening', address: server.address });
  });

  test('records a blocking duration', async () => {
    for (const durationSeconds of [0, 4, 45]) {
      const response = await json(server, 'POST', '/api/coordinators/coord-1/blocking',
        { swarmId: 'swarm-a', status: 'completed', durationSeconds });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { ok: true, metric: 'blocking_duration_seconds' });
    }
    const encoded = await json(server, 'POST', '/api/coordinators/coord%20%C3%A9%2F2/blocking',
      { swarmId: 'swarm-a', status: 'timeout', durationSeconds: 1800.5 });
    assert.equal(encoded.status, 200);
  });

  test('records a signal latency', async () => {
    for (const latencySeconds of [0.004, 0.3]) {
      const response = await json(server, 'POST', '/api/signals',
        { senderId: 'coord-1', receiverId: 'coord-2', signalType: 'wake', latencySeconds });
      assert.equal(response.status, 200);
      assert.equal(response.body.metric, 'signal_delivery_latency_seconds');
    }
  });

  test('counts heartbeat failures and timeouts', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await json(server, 'POST', '/api/heartbeat-failures',
        { coordinatorId: 'coord-2', failureType: 'stale' });
      assert.equal(response.status, 200);
    }
    const timeout = await json(server, 'POST', '/api/timeouts',
      { coordinatorId: 'coord-3', timeoutType: 'blocking', extra: 'ignored' });
    assert.deepEqual(timeout.body, { ok: true, metric: 'timeout_events_total' });
  });

  test('sets the number of blocking coordinators of a swarm', async () => {
    for (const count of [7, 2]) {
      const response = await json(server, 'PUT', '/api/swarms/swarm-a/coordinators',
        { phase: 'waiting', status: 'active', count });
      assert.equal(response.status, 200);
      assert.equal(response.body.metric, 'blocking_coordinators_total');
    }
  });

  describe('refuses bad input and keeps serving', () => {
    const cases = [
      ['invalid JSON', 'POST', '/api/signals', '{"senderId": ', 400, undefined, /not valid JSON/],
      ['a JSON array', 'POST', '/api/timeouts', '[]', 400, undefined, /must be a JSON object/],
      ['an empty body', 'POST', '/api/timeouts', '', 400, undefined, /not valid JSON/],
      ['a missing field', 'POST', '/api/timeouts', { coordinatorId: 'c' }, 400, 'timeoutType',
        /timeoutType must be a non-empty string/],
      ['a number as label', 'POST', '/api/heartbeat-failures',
        { coordinatorId: 7, failureType: 'stale' }, 400, 'coordinatorId', /non-empty string/],
      ['an empty string', 'POST', '/api/coordinators/c/blocking',
        { swarmId: '', status: 'x', durationSeconds: 1 }, 400, 'swarmId', /non-empty string/],
      ['a negative duration', 'POST', '/api/coordinators/c/blocking',
        { swarmId: 's', status: 'x', durationSeconds: -1 }, 400, 'durationSeconds',
        /durationSeconds must be a finite number of seconds, 0 or more/],
      ['a duration as string', 'POST', '/api/coordinators/c/blocking',
        { swarmId: 's', status: 'x', durationSeconds: '5' }, 400, 'durationSeconds', /finite/],
      ['an infinite latency', 'POST', '/api/signals',
        '{"senderId":"a","receiverId":"b","signalType":"s","latencySeconds":1e999}', 400,
        'latencySeconds', /finite/],
      ['a fractional count', 'PUT', '/api/swarms/s/coordinators',
        { phase: 'p', status: 's', count: 1.5 }, 400, 'count', /count must be a whole number/],
      ['a negative count', 'PUT', '/api/swarms/s/coordinators',
        { phase: 'p', status: 's', count: -2 }, 400, 'count', /whole number, 0 or more/],
      ['a label too long', 'POST', '/api/timeouts',
        { coordinatorId: 'c'.repeat(257), timeoutType: 't' }, 400, 'coordinatorId',
        /at most 256 characters/],
      ['a NUL in a label', 'POST', '/api/timeouts', { coordinatorId: 'a\0b', timeoutType: 't' },
        400, 'coordinatorId', /without NUL/],
      ['bad percent-encoding', 'POST', '/api/coordinators/%E0%A4%A/blocking',
        { swarmId: 's', status: 'x', durationSeconds: 1 }, 400, 'id', /percent-encoding/],
      ['an unknown route', 'POST', '/api/nothing', {}, 404, undefined,
        /no route for \/api\/nothing/],
      ['an unknown root', 'GET', '/', undefined, 404, undefined, /no route for \/$/],
    ];
    for (const [name, method, target, body, status, field, message] of cases) {
      test(name, async () => {
        const response = await json(server, method, target, body);
        assert.equal(response.status, status);
        assert.match(response.body.error, message);
        assert.equal(response.body.field, field);
      });
    }

    test('a wrong method, with the allowed ones', async () => {
      const response = await json(server, 'GET', '/api/signals');
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'POST');
      assert.deepEqual(response.body,
        { error: 'method GET is not allowed on /api/signals', allowed: ['POST'] });
      const scrape = await json(server, 'POST', '/metrics', {});
      assert.equal(scrape.status, 405);
      assert.equal(scrape.headers.allow, 'GET, HEAD');
      const put = await json(server, 'POST', '/api/swarms/s/coordinators', {});
      assert.equal(put.headers.allow, 'PUT');
    });

    test('a body over 64 KiB, as sent and as declared', async () => {
      const big = { coordinatorId: 'c', timeoutType: 't', padding: 'x'.repeat(64 * 1024) };
      const sent = await json(server, 'POST', '/api/timeouts', big);
      assert.equal(sent.status, 413);
      assert.match(sent.body.error, /larger than 65536 bytes/);
      const chunked = await request(server, 'POST', '/api/timeouts',
        { body: JSON.stringify(big), headers: { 'Content-Length': null,
          'Transfer-Encoding': 'chunked' } });
      assert.equal(chunked.status, 413);
      const declared = await request(server, 'POST', '/api/timeouts',
        { body: '{}', headers: { 'Content-Length': String(1024 * 1024) } }).catch((error) => error);
      // The server answers before the (never sent) body and closes the connection.
      assert.ok(declared.status === 413 || declared.code === 'ECONNRESET', String(declared));
    });

    test('a body of exactly 64 KiB is accepted', async () => {
      const body = { coordinatorId: 'coord-edge', timeoutType: 'edge', padding: '' };
      const base = Buffer.byteLength(JSON.stringify(body));
      body.padding = 'x'.repeat(64 * 1024 - base);
      assert.equal(Buffer.byteLength(JSON.stringify(body)), 64 * 1024);
      assert.equal((await json(server, 'POST', '/api/timeouts', body)).status, 200);
    });
  });

  test('serves exactly what was recorded, in the text format', async () => {
    const response = await request(server, 'GET', '/prometheus/metrics');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], TEXT_TYPE);
    const samples = parseSamples(response.text);
    const blocking = 'swarm_id="swarm-a",coordinator_id="coord-1",status="completed"';
    assert.equal(samples[`blocking_duration_seconds_bucket{${blocking},le="1"}`], 1);
    assert.equal(samples[`blocking_duration_seconds_bucket{${blocking},le="5"}`], 2);
    assert.equal(samples[`blocking_duration_seconds_bucket{${blocking},le="30"}`], 2);
    assert.equal(samples[`blocking_duration_seconds_bucket{${blocking},le="60"}`], 3);
    assert.equal(samples[`blocking_duration_seconds_bucket{${blocking},le="+Inf"}`], 3);
    assert.equal(samples[`blocking_duration_seconds_sum{${blocking}}`], 49);
    assert.equal(samples[`blocking_duration_seconds_count{${blocking}}`], 3);
    const encoded = 'swarm_id="swarm-a",coordinator_id="coord é/2",status="timeout"';
    assert.equal(samples[`blocking_duration_seconds_bucket{${encoded},le="1800"}`], 0);
    assert.equal(samples[`blocking_duration_seconds_sum{${encoded}}`], 1800.5);

    const signal = 'sender_id="coord-1",receiver_id="coord-2",signal_type="wake"';
    assert.equal(samples[`signal_delivery_latency_seconds_bucket{${signal},le="0.01"}`], 1);
    assert.equal(samples[`signal_delivery_latency_seconds_bucket{${signal},le="0.1"}`], 1);
    assert.equal(samples[`signal_delivery_latency_seconds_bucket{${signal},le="0.5"}`], 2);
    assert.equal(samples[`signal_delivery_latency_seconds_sum{${signal}}`], 0.304);
    assert.equal(samples[`signal_delivery_latency_seconds_count{${signal}}`], 2);

    assert.equal(samples['heartbeat_failures_total{coordinator_id="coord-2",' +
      'failure_type="stale"}'], 3);
    assert.equal(samples['timeout_events_total{coordinator_id="coord-3",' +
      'timeout_type="blocking"}'], 1);
    assert.equal(samples['timeout_events_total{coordinator_id="coord-edge",' +
      'timeout_type="edge"}'], 1);
    assert.equal(samples['blocking_coordinators_total{swarm_id="swarm-a",phase="waiting",' +
      'status="active"}'], 2);

    // Nothing the refused requests carried reached the registry.
    const refused = Object.keys(samples).filter((key) =>
      /coordinator_id="c"|swarm_id="s"|sender_id="a"|timeout_type="t"/.test(key));
    assert.deepEqual(refused, []);
    assert.equal(Object.keys(samples).filter((key) => key.startsWith('timeout_events_total'))
      .length, 2);
  });

  test('serves OpenMetrics when the Accept header asks for it', async () => {
    const accept = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';
    const response = await request(server, 'GET', '/metrics', { headers: { Accept: accept } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], OPENMETRICS_TYPE);
    assert.equal(response.headers.vary, 'Accept');
    assert.ok(response.text.endsWith('# EOF\n'));
    assert.match(response.text, /^# TYPE heartbeat_failures counter$/m);
    assert.match(response.text,
      /^heartbeat_failures_total\{coordinator_id="coord-2",failure_type="stale"\} 3$/m);

    const text = await request(server, 'GET', '/metrics', { headers: { Accept: 'text/plain' } });
    assert.equal(text.headers['content-type'], TEXT_TYPE);
    const head = await request(server, 'HEAD', '/prometheus/metrics');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-type'], TEXT_TYPE);
  });

  test('answers health checks', async () => {
    const response = await request(server, 'GET', '/-/healthy');
    assert.equal(response.status, 200);
    assert.equal(response.text, 'OK\n');
  });
});

describe('start-up and shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    test(`stops cleanly on ${signal}`, async () => {
      const server = await startServer().ready;
      assert.equal((await request(server, 'GET', '/-/healthy')).status, 200);
      const { code } = await stopServer(server, signal);
      assert.equal(code, 0);
      assert.deepEqual(server.lines.slice(-2).map((line) => JSON.parse(line)),
        [{ level: 'info', msg: 'stopping', signal }, { level: 'info', msg: 'stopped' }]);
    });
  }

  test('refuses a malformed PORT with status 2', async () => {
    const server = startServer({ PORT: '80a' });
    await assert.rejects(server.ready, /exited with 2/);
    assert.deepEqual(JSON.parse(server.lines[0]), { level: 'error', msg: 'invalid configuration',
      error: 'PORT must be a whole number from 0 to 65535, got "80a"' });
  });

  test('exits with 1 when the port is taken', async () => {
    const first = await startServer().ready;
    const port = first.address.split(':')[1];
    const second = startServer({ PORT: port });
    await assert.rejects(second.ready, /exited with 1/);
    assert.match(second.lines[0], /"msg":"cannot listen".*"code":"EADDRINUSE"/);
    await stopServer(first);
  });
});
