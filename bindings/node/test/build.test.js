'use strict';
// build.sh picks the library to link: CFN_BUILD_DIR, else the release build, else the debug one
// with a warning. Run on a copy of the binding in a scratch tree, against a stub libcfnmetrics, so
// that neither the real build/ nor the real .build/ is touched.

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const BINDING = path.join(__dirname, '..');
const REPO = path.join(BINDING, '..', '..');

describe('build.sh', () => {
  let root;
  let release;
  let debug;

  // A stub library: the addon links against it, and nothing here loads the result.
  function stubLibrary(folder, seconds) {
    fs.mkdirSync(folder, { recursive: true });
    const library = path.join(folder, 'libcfnmetrics.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-x', 'c', '-', '-o', library],
      { input: 'int cfn_stub;\n' });
    fs.utimesSync(library, seconds, seconds);
  }

  before(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-build-sh-')));
    const binding = path.join(root, 'bindings', 'node');
    fs.mkdirSync(binding, { recursive: true });
    fs.copyFileSync(path.join(BINDING, 'build.sh'), path.join(binding, 'build.sh'));
    fs.chmodSync(path.join(binding, 'build.sh'), 0o755);
    fs.symlinkSync(path.join(BINDING, 'src'), path.join(binding, 'src'));
    fs.symlinkSync(path.join(REPO, 'Include'), path.join(root, 'Include'));
    release = path.join(root, '.build', 'release');
    debug = path.join(root, '.build', 'debug');
    stubLibrary(debug, 1_700_000_000);
    // `swift build --show-bin-path` names the debug folder, as SwiftPM does by default.
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'swift'), `#!/bin/sh\necho '${debug}'\n`, { mode: 0o755 });
  });

  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  // Runs the copied build.sh; returns its output and the run path recorded in the addon.
  function build(env = {}) {
    const environment = { ...process.env, PATH: `${path.join(root, 'bin')}:${process.env.PATH}`,
      ...env };
    if (!Object.hasOwn(env, 'CFN_BUILD_DIR')) delete environment.CFN_BUILD_DIR;
    const result = spawnSync(path.join(root, 'bindings', 'node', 'build.sh'),
      { env: environment, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const addon = path.join(root, 'bindings', 'node', 'build', 'cfn_metrics.node');
    const dynamic = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
    const runPath = /\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]/.exec(dynamic);
    assert.ok(runPath, dynamic);
    return { stdout: result.stdout, stderr: result.stderr, runPath: runPath[1] };
  }

  test('links the debug library, with a warning, when there is no release build', () => {
    const { stdout, stderr, runPath } = build();
    assert.equal(runPath, debug);
    assert.ok(stdout.endsWith(`against ${debug}\n`), stdout);
    assert.equal(stderr, `build.sh: warning: no release build (${release}/libcfnmetrics.so), ` +
      "so linking the debug libcfnmetrics, about 3x slower; run 'swift build -c release' in " +
      `${root} for the release one\n`);
  });

  test('links the release library when there is one', () => {
    stubLibrary(release, 1_700_000_100);
    const { stdout, stderr, runPath } = build();
    assert.equal(runPath, release);
    assert.ok(stdout.endsWith(`against ${release}\n`), stdout);
    assert.equal(stderr, '');
  });

  test('warns when the release library is older than the debug one', () => {
    fs.utimesSync(path.join(debug, 'libcfnmetrics.so'), 1_700_000_200, 1_700_000_200);
    const { stderr, runPath } = build();
    assert.equal(runPath, release);
    assert.match(stderr, /^build\.sh: warning: the release libcfnmetrics is older than the debug/);
  });

  test('links the library in CFN_BUILD_DIR whatever else exists', () => {
    const chosen = path.join(root, 'elsewhere');
    stubLibrary(chosen, 1_700_000_000);
    const { stdout, stderr, runPath } = build({ CFN_BUILD_DIR: chosen });
    assert.equal(runPath, chosen);
    assert.ok(stdout.endsWith(`against ${chosen}\n`), stdout);
    assert.equal(stderr, '');
  });
});
