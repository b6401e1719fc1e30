'use strict';
// The API server as a child process on 127.0.0.1, port 0: every endpoint, every refusal, then
// the exact values of a scrape; the series limit, and shutdown with connections still open.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');
const { after, before, describe, test } = require('node:test');

const SERVER = path.join(__dirname, '..', 'server.js');
const { configuration, makeSeriesLimit } = require(SERVER);
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
  const payload = body === undefined || Buffer.isBuffer(body) ? body
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

async function json(server, method, target, body, headers) {
  const response = await request(server, method, target, { body, headers });
  assert.equal(response.headers['content-type'], 'application/json', response.text);
  return { status: response.status, headers: response.headers, body: JSON.parse(response.text) };
}

// Resolves once `predicate()` holds, checking every 10 ms for up to `ms`.
async function until(predicate, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// A raw connection that has sent `text`: `received` collects what comes back, `closed` resolves
// with the time (performance.now()) the connection closed, `socket` writes more.
function connect(server, text) {
  const [host, port] = server.address.split(':');
  return new Promise((resolve, reject) => {
    const connection = { received: '' };
    const socket = net.connect(Number(port), host, () => {
      socket.write(text);
      resolve(connection);
    });
    connection.socket = socket;
    connection.closed = new Promise((closed) => {
      socket.on('close', () => closed(performance.now()));
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => { connection.received += chunk; });
    socket.on('error', reject);
  });
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
      ['257 emoji', 'POST', '/api/timeouts', { coordinatorId: '\u{1F600}'.repeat(257),
        timeoutType: 't' }, 400, 'coordinatorId', /at most 256 characters \(Unicode code points\)/],
      ['a lone high surrogate', 'POST', '/api/timeouts',
        '{"coordinatorId":"a\\ud800","timeoutType":"t"}', 400, 'coordinatorId',
        /coordinatorId must be valid Unicode, without lone surrogates/],
      ['a lone low surrogate', 'POST', '/api/timeouts',
        '{"coordinatorId":"c","timeoutType":"\\udc00"}', 400, 'timeoutType', /lone surrogates/],
      ['surrogates in the wrong order', 'POST', '/api/signals', '{"senderId":"a","receiverId":' +
        '"\\udc00\\ud800","signalType":"s","latencySeconds":1}', 400, 'receiverId', /surrogates/],
      ['a byte that is not UTF-8', 'POST', '/api/timeouts', Buffer.concat([
        Buffer.from('{"coordinatorId":"c'), Buffer.from([0xff]),
        Buffer.from('","timeoutType":"t"}')]), 400, undefined, /body is not valid UTF-8/],
      ['a surrogate encoded as UTF-8 bytes', 'POST', '/api/timeouts', Buffer.concat([
        Buffer.from('{"coordinatorId":"c'), Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('","timeoutType":"t"}')]), 400, undefined, /not valid UTF-8/],
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

    test('a body that is not application/json, as a browser form or fetch sends it', async () => {
      const body = { coordinatorId: 'csrf', failureType: 'forged' };
      for (const type of [null, 'text/plain', 'text/plain; charset=utf-8',
        'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
        'application/jsonp', 'application/json; charset=iso-8859-1']) {
        const response = await json(server, 'POST', '/api/heartbeat-failures', body,
          { 'Content-Type': type });
        assert.equal(response.status, 415, String(type));
        assert.equal(response.body.error, 'Content-Type must be application/json (UTF-8), got ' +
          (type === null ? 'none' : JSON.stringify(type)));
        assert.equal(response.headers.connection, 'close');
      }
      const put = await json(server, 'PUT', '/api/swarms/csrf/coordinators',
        { phase: 'p', status: 's', count: 1 }, { 'Content-Type': 'text/plain' });
      assert.equal(put.status, 415);
      const scrape = await request(server, 'GET', '/metrics');
      assert.doesNotMatch(scrape.text, /csrf/);
    });
  });

  test('takes application/json with parameters, in any case', async () => {
    for (const type of ['application/json; charset=utf-8', 'Application/JSON;Charset="UTF-8"',
      'application/json ; foo=bar']) {
      const response = await json(server, 'POST', '/api/heartbeat-failures',
        { coordinatorId: 'typed', failureType: 'json' }, { 'Content-Type': type });
      assert.equal(response.status, 200, type);
    }
    const scrape = parseSamples((await request(server, 'GET', '/metrics')).text);
    assert.equal(scrape['heartbeat_failures_total{coordinator_id="typed",failure_type="json"}'], 3);
  });

  test('counts a label in code points: 256 emoji fit', async () => {
    for (const count of [200, 256]) {
      const response = await json(server, 'POST', '/api/heartbeat-failures',
        { coordinatorId: '\u{1F600}'.repeat(count), failureType: 'emoji' });
      assert.equal(response.status, 200, `${count} emoji`);
    }
  });

  test('never merges distinct values into U+FFFD', async () => {
    const refused = [
      '{"coordinatorId":"merge\\ud800","failureType":"utf"}',
      '{"coordinatorId":"merge\\udc00","failureType":"utf"}',
      Buffer.concat([Buffer.from('{"coordinatorId":"merge'), Buffer.from([0xfe]),
        Buffer.from('","failureType":"utf"}')]),
    ];
    for (const body of refused) {
      assert.equal((await json(server, 'POST', '/api/heartbeat-failures', body)).status, 400);
    }
    const replacement = await json(server, 'POST', '/api/heartbeat-failures',
      { coordinatorId: 'merge\ufffd', failureType: 'utf' });
    assert.equal(replacement.status, 200);
    const samples = parseSamples((await request(server, 'GET', '/metrics')).text);
    const merged = 'heartbeat_failures_total{coordinator_id="merge\ufffd",failure_type="utf"}';
    assert.equal(samples[merged], 1);
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

describe('the series limit', () => {
  let server;

  before(async () => {
    server = await startServer({ MAX_SERIES_PER_METRIC: '3', LOG_LEVEL: 'debug' }).ready;
  });

  after(async () => {
    await stopServer(server);
  });

  const limitLines = () => server.lines.map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'series limit reached, new series refused');

  test('refuses a new series beyond it with 429; existing series keep updating', async () => {
    for (const coordinatorId of ['c1', 'c2', 'c3']) {
      const response = await json(server, 'POST', '/api/timeouts',
        { coordinatorId, timeoutType: 'blocking' });
      assert.equal(response.status, 200);
    }
    for (const [coordinatorId, timeoutType] of [['c4', 'blocking'], ['c1', 'other'],
      ['c5', 'blocking'], ['c6', 'blocking']]) {
      const response = await json(server, 'POST', '/api/timeouts',
        { coordinatorId, timeoutType });
      assert.equal(response.status, 429);
      assert.deepEqual(response.body, { error: 'timeout_events_total already has 3 series, ' +
        'its limit (MAX_SERIES_PER_METRIC); only existing series can be updated',
      metric: 'timeout_events_total', limit: 3 });
    }
    for (let i = 0; i < 2; i++) {
      const response = await json(server, 'POST', '/api/timeouts',
        { coordinatorId: 'c1', timeoutType: 'blocking' });
      assert.equal(response.status, 200);
    }

    // Each metric has a limit of its own.
    for (const swarmId of ['s1', 's2', 's3', 's4']) {
      const response = await json(server, 'PUT', `/api/swarms/${swarmId}/coordinators`,
        { phase: 'waiting', status: 'active', count: 1 });
      assert.equal(response.status, swarmId === 's4' ? 429 : 200);
      if (swarmId === 's4') assert.equal(response.body.metric, 'blocking_coordinators_total');
    }
    const reset = await json(server, 'PUT', '/api/swarms/s1/coordinators',
      { phase: 'waiting', status: 'active', count: 9 });
    assert.equal(reset.status, 200);

    const samples = parseSamples((await request(server, 'GET', '/metrics')).text);
    const timeouts = Object.keys(samples).filter((key) => key.startsWith('timeout_events_total'));
    assert.deepEqual(timeouts.sort(), ['c1', 'c2', 'c3'].map((id) =>
      `timeout_events_total{coordinator_id="${id}",timeout_type="blocking"}`));
    assert.equal(samples['timeout_events_total{coordinator_id="c1",timeout_type="blocking"}'], 3);
    assert.equal(samples['blocking_coordinators_total{swarm_id="s1",phase="waiting",' +
      'status="active"}'], 9);
    assert.equal(Object.keys(samples).filter((key) =>
      key.startsWith('blocking_coordinators_total')).length, 3);
  });

  test('logs a refusal once per metric, not once per request', async () => {
    for (let i = 0; i < 20; i++) {
      const response = await json(server, 'POST', '/api/timeouts',
        { coordinatorId: `flood-${i}`, timeoutType: 'blocking' });
      assert.equal(response.status, 429);
    }
    // Every request logs a debug line after any warning of its own: wait for the last one.
    await request(server, 'GET', '/-/healthy');
    await until(() => server.lines.some((line) => line.includes('"url":"/-/healthy"')),
      'the last request to be logged');
    assert.deepEqual(limitLines(), [
      { level: 'warn', msg: 'series limit reached, new series refused',
        metric: 'timeout_events_total', limit: 3, refused: 1 },
      { level: 'warn', msg: 'series limit reached, new series refused',
        metric: 'blocking_coordinators_total', limit: 3, refused: 1 },
    ]);
  });
});

describe('the series limit, on its own', () => {
  const counter = (name) => ({ name, labels: (...values) => ({ values }) });

  test('logs again after a minute, with the number refused meanwhile', () => {
    const logged = [];
    let clock = 1_000_000;
    const seriesOf = makeSeriesLimit({ max: 2, log: (...line) => logged.push(line),
      now: () => clock });
    const family = counter('jobs_total');
    const first = seriesOf(family, 'a', 'x');
    assert.deepEqual(first, { values: ['a', 'x'] });
    seriesOf(family, 'b', 'x');
    assert.equal(seriesOf(family, 'a', 'x'), first, 'an existing series is kept, not looked up');
    const refuse = () => assert.throws(() => seriesOf(family, `n${clock}`, 'x'),
      (error) => error.status === 429 &&
        JSON.stringify(error.details) === '{"metric":"jobs_total","limit":2}');
    refuse();
    for (let i = 0; i < 4; i++) {
      clock += 14_999;
      refuse();
    }
    assert.equal(logged.length, 1);
    clock += 4;
    refuse();
    assert.deepEqual(logged, [
      ['warn', 'series limit reached, new series refused',
        { metric: 'jobs_total', limit: 2, refused: 1 }],
      ['warn', 'series limit reached, new series refused',
        { metric: 'jobs_total', limit: 2, refused: 5 }],
    ]);
    // 'a\0' + 'x' and 'a' + '\0x' cannot both occur: labels never hold NUL.
    seriesOf(counter('other_total'), 'c');
    assert.equal(logged.length, 2);
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

  test('refuses a malformed MAX_SERIES_PER_METRIC with status 2', async () => {
    const server = startServer({ MAX_SERIES_PER_METRIC: '10k' });
    await assert.rejects(server.ready, /exited with 2/);
    assert.deepEqual(JSON.parse(server.lines[0]), { level: 'error', msg: 'invalid configuration',
      error: 'MAX_SERIES_PER_METRIC must be a whole number, 1 or more, got "10k"' });
  });

  test('reads MAX_SERIES_PER_METRIC: 10000 by default, a whole number from 1', () => {
    assert.equal(configuration({}).maxSeries, 10_000);
    assert.equal(configuration({ MAX_SERIES_PER_METRIC: '1' }).maxSeries, 1);
    assert.equal(configuration({ MAX_SERIES_PER_METRIC: '250000' }).maxSeries, 250_000);
    for (const text of ['', '0', '-1', '1.5', '1e4', ' 10', '0x10', '99999999999999999999']) {
      assert.equal(configuration({ MAX_SERIES_PER_METRIC: text }).error,
        `MAX_SERIES_PER_METRIC must be a whole number, 1 or more, got "${text}"`);
    }
  });

  test('exits within 5 s of SIGTERM with connections part-way through a request', async (t) => {
    const server = await startServer().ready;
    t.after(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    // Half a request line and headers, and a request whose body is half sent.
    const stalled = await connect(server, 'POST /api/timeouts HTTP/1.1\r\nHost: x\r\nContent-Ty');
    const body = '{"coordinatorId":"late","timeoutType":"shutdown"}';
    const inFlight = await connect(server, 'POST /api/timeouts HTTP/1.1\r\nHost: x\r\n' +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
      body.slice(0, 10));
    // A keep-alive connection, idle once answered.
    const idle = await connect(server, 'GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => idle.received.endsWith('OK\n'), 'the health check');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const start = performance.now();
    server.child.kill('SIGTERM');
    assert.ok(await idle.closed - start < 1000, 'the idle connection is closed at once');
    // The request in flight may still finish, and is told the connection closes.
    inFlight.socket.write(body.slice(10));
    await until(() => inFlight.received.includes('"ok":true'), 'the request in flight');
    assert.match(inFlight.received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(inFlight.received, /\r\nConnection: close\r\n/i);

    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(resolve, 9000, 'late'); });
    const exited = await Promise.race([server.exited, late]);
    const elapsed = performance.now() - start;
    clearTimeout(timer);
    if (exited === 'late') server.child.kill('SIGKILL');
    assert.notEqual(exited, 'late', 'still running 9 s after SIGTERM');
    assert.equal(exited.code, 0);
    assert.ok(elapsed < 5800, `exited ${Math.round(elapsed)} ms after SIGTERM`);
    // The stalled connection had until the deadline.
    assert.ok(await stalled.closed - start > 4500, 'the stalled connection was cut early');
    assert.deepEqual(server.lines.slice(-2).map((line) => JSON.parse(line)),
      [{ level: 'info', msg: 'stopping', signal: 'SIGTERM' }, { level: 'info', msg: 'stopped' }]);
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
