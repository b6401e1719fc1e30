'use strict';
// One default registry per process: shared by every copy of the module and every worker thread,
// each of which loads the addon with its own instance data.

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');

const LIBRARY = path.join(__dirname, '..', 'lib', 'index.js');
const first = require(LIBRARY);

// Loads a fresh copy of the facade and the addon, as a second package copy would.
function freshCopy() {
  for (const key of Object.keys(require.cache)) {
    if (key === LIBRARY || key.endsWith('.node')) delete require.cache[key];
  }
  return require(LIBRARY);
}

function runWorker(source, workerData) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData });
    let message;
    worker.on('message', (value) => { message = value; });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code === 0) resolve(message);
      else reject(new Error(`worker exited with code ${code}`));
    });
  });
}

function sample(text, line) {
  const match = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return match === undefined ? undefined : Number(match.slice(line.length + 1));
}

test('two requires share the default registry', () => {
  const second = freshCopy();
  assert.notEqual(second, first);
  assert.notEqual(second.Registry, first.Registry);
  first.defaultRegistry.counter({ name: 'shared_total', help: 'Shared.' }).inc(2);
  second.defaultRegistry.counter({ name: 'shared_total', help: 'Shared.' }).inc(3);
  assert.equal(sample(first.defaultRegistry.metrics(), 'shared_total'), 5);
  assert.equal(second.defaultRegistry.metrics(), first.defaultRegistry.metrics());

  // Registries created by either copy are separate, and so is each copy's instance data.
  const before = first.liveHandles();
  const own = new second.Registry();
  own.counter({ name: 'shared_total', help: 'Shared.' }).inc();
  assert.equal(sample(own.metrics(), 'shared_total'), 1);
  assert.deepEqual(first.liveHandles(), before);
  assert.ok(second.liveHandles().registry >= 1);
});

const WORKER = `
  const { workerData, parentPort } = require('node:worker_threads');
  const metrics = require(workerData.library);
  const core = metrics.registerCoreMetrics(metrics.defaultRegistry);
  const timeouts = core.timeout_events_total.labels('worker-coordinator', 'heartbeat');
  for (let i = 0; i < workerData.increments; i++) timeouts.inc();
  core.blocking_duration_seconds.labels('swarm-w', 'worker-coordinator', 'done').observe(2);

  // A registry of the worker's own, released when the worker's environment shuts down.
  const own = new metrics.Registry();
  own.gauge({ name: 'worker_gauge', help: 'W.' }).set(workerData.id);
  parentPort.postMessage({ own: own.metrics(), live: metrics.liveHandles() });
`;

test('worker threads load the addon and record into the default registry', async () => {
  const core = first.registerCoreMetrics();
  const workers = 4;
  const increments = 2500;
  const results = await Promise.all(Array.from({ length: workers }, (_, id) =>
    runWorker(WORKER, { library: LIBRARY, increments, id })));

  results.forEach((result, id) => {
    assert.equal(sample(result.own, 'worker_gauge'), id);
    assert.ok(result.live.series >= 2, JSON.stringify(result.live));
  });
  const text = first.defaultRegistry.metrics();
  assert.equal(sample(text, 'timeout_events_total{coordinator_id="worker-coordinator",' +
    'timeout_type="heartbeat"}'), workers * increments);
  assert.equal(sample(text, 'blocking_duration_seconds_count{swarm_id="swarm-w",' +
    'coordinator_id="worker-coordinator",status="done"}'), workers);

  // The main thread keeps working after the workers' environments have shut down.
  core.timeout_events_total.labels('worker-coordinator', 'heartbeat').inc();
  assert.equal(core.timeout_events_total.labels('worker-coordinator', 'heartbeat').value(),
    workers * increments + 1);
});
