'use strict';
// Native handles and garbage collection: what JavaScript still holds keeps working, what it
// dropped is released by the finalizers, and the default registry is never released.
//
// Runs with --expose-gc; without it (plain `node --test`) the flag is turned on here.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const v8 = require('node:v8');
const vm = require('node:vm');

const { Registry, defaultRegistry, liveHandles } = require('../lib/index.js');

function collector() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

const gc = collector();

// Collects until `done()` holds: finalizers run after the collection, from the event loop.
async function collectUntil(done, what) {
  for (let round = 0; round < 50; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    if (done()) return;
  }
  assert.fail(`garbage collection never reached: ${what} (live: ${
    JSON.stringify(liveHandles())})`);
}

test('a kept series outlives its dropped family and registry objects', async () => {
  let registry = new Registry();
  const series = registry.counter({ name: 'kept_total', help: 'Kept.', labelNames: ['k'] })
    .labels('a');
  series.inc(2);
  registry = null;
  const before = liveHandles();
  await collectUntil(() => liveHandles().registry < before.registry, 'the registry released');
  series.inc(3);
  assert.equal(series.value(), 5);
});

test('families and series dropped by JavaScript stay in their registry', async () => {
  const registry = new Registry();
  const baseline = liveHandles();
  (() => {
    const family = registry.gauge({ name: 'dropped', help: 'Dropped.', labelNames: ['k'] });
    for (let i = 0; i < 100; i++) family.labels(`s${i}`).set(i);
  })();
  await collectUntil(() => liveHandles().series <= baseline.series, 'every series released');
  const text = registry.metrics();
  assert.match(text, /^dropped\{k="s0"\} 0$/m);
  assert.match(text, /^dropped\{k="s99"\} 99$/m);
  assert.equal(registry.gauge({ name: 'dropped', help: 'Dropped.', labelNames: ['k'] })
    .labels('s42').value(), 42);
});

test('finalizers give back every handle of a dropped registry', async () => {
  const baseline = liveHandles();
  (() => {
    for (let r = 0; r < 20; r++) {
      const registry = new Registry();
      const family = registry.histogram({ name: 'h_seconds', help: 'H.', labelNames: ['k'] });
      for (let s = 0; s < 10; s++) family.labels(String(s)).observe(s);
      registry.metrics();
    }
  })();
  assert.ok(liveHandles().series >= baseline.series + 200, JSON.stringify(liveHandles()));
  await collectUntil(() => {
    const live = liveHandles();
    return live.registry <= baseline.registry && live.family <= baseline.family &&
      live.series <= baseline.series;
  }, 'the baseline of live handles');
});

test('the default registry survives collection', async () => {
  const baseline = liveHandles();
  (() => {
    defaultRegistry.counter({ name: 'gc_default_total', help: 'Default.' }).inc(7);
  })();
  await collectUntil(() => liveHandles().series <= baseline.series &&
    liveHandles().family <= baseline.family, 'the family and series released');
  assert.match(defaultRegistry.metrics(), /^gc_default_total 7$/m);
  const { defaultRegistry: again } = require('../lib/index.js');
  assert.equal(again, defaultRegistry);
});
