// The app's configuration files against the JSON schemas SchemaStore
// publishes for Azure Functions (exact copies in tests/vectors/schemas/, see
// its README): host.json (draft-07), every function.json and local.settings.json
// (draft-04, hence ajv-draft-04). `strict: false` as SchemaStore itself
// validates them. Each schema is also shown to reject a broken copy, so a
// schema that accepts anything cannot make these tests pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv07 from 'ajv';
import Ajv04 from 'ajv-draft-04';
import { ROOT, DATA } from './lib.mjs';

const SCHEMAS = path.join(DATA, 'schemas');

const load = (p) => JSON.parse(readFileSync(p, 'utf8'));
const schema = (name) => load(path.join(SCHEMAS, name));
const copy = (v) => structuredClone(v);

const host = new Ajv07({ strict: false, allErrors: true })
  .compile(schema('host.json.schema.json'));
const fn = new Ajv04({ strict: false, allErrors: true })
  .compile(schema('function.json.schema.json'));
const settings = new Ajv04({ strict: false, allErrors: true })
  .compile(schema('local.settings.json.schema.json'));

// Every top-level folder with a function.json, as the host finds them.
const functionFolders = readdirSync(ROOT)
  .filter((d) => !d.startsWith('.'))
  .filter((d) => statSync(path.join(ROOT, d)).isDirectory())
  .filter((d) => existsSync(path.join(ROOT, d, 'function.json')));

function valid(validate, value) {
  const ok = validate(value);
  return { ok, errors: JSON.stringify(validate.errors, null, 1) };
}

test('host.json validates against the SchemaStore schema', () => {
  const h = load(path.join(ROOT, 'host.json'));
  const r = valid(host, h);
  assert.ok(r.ok, r.errors);
  // v2 is closed: a misspelt key or a v1 version is refused.
  const bad = copy(h);
  bad.customHandler.enableForwardingHttpRequests = false;
  assert.equal(host(bad), false, 'a misspelt customHandler key passes');
  const v1 = copy(h);
  v1.version = '1.0';
  assert.equal(host(v1), false, 'version 1.0 with v2 keys passes');
});

test('every function.json validates against the SchemaStore schema', () => {
  assert.ok(functionFolders.length >= 6, `found ${functionFolders}`);
  for (const d of functionFolders) {
    const r = valid(fn, load(path.join(ROOT, d, 'function.json')));
    assert.ok(r.ok, `${d}/function.json: ${r.errors}`);
  }
  // The typed parts are checked: an unknown authLevel or direction fails.
  const b = load(path.join(ROOT, 'broadcast', 'function.json'));
  const badAuth = copy(b);
  badAuth.bindings[0].authLevel = 'everyone';
  assert.equal(fn(badAuth), false, 'authLevel "everyone" passes');
  const badDir = copy(b);
  badDir.bindings[2].direction = 'sideways';
  assert.equal(fn(badDir), false, 'direction "sideways" passes');
  const t = load(path.join(ROOT, 'statusUpdate', 'function.json'));
  t.bindings[0].runOnStartup = 'no';
  assert.equal(fn(t), false, 'a non-boolean runOnStartup passes');
});

test('local.settings.json validates against the SchemaStore schema', () => {
  const ls = load(path.join(ROOT, 'local.settings.json'));
  const r = valid(settings, ls);
  assert.ok(r.ok, r.errors);
  assert.equal(ls.Values.FUNCTIONS_WORKER_RUNTIME, 'custom');
  const bad = copy(ls);
  bad.Values.FUNCTIONS_WORKER_RUNTIME = 'c';
  assert.equal(settings(bad), false, 'an unknown worker runtime passes');
  const badHost = copy(ls);
  badHost.Host.LocalHttpPort = 'seven';
  assert.equal(settings(badHost), false, 'a string LocalHttpPort passes');
});

test('the published bundle, when built, carries the same valid files', (t) => {
  const dist = path.join(ROOT, 'dist');
  if (!existsSync(path.join(dist, 'host.json'))) {
    // `make publish` builds it; the C tests check the bundle itself.
    t.skip('dist/ is not built (make publish)');
    return;
  }
  const stale = functionFolders.filter((d) => !existsSync(path.join(dist, d, 'function.json')));
  if (stale.length) {
    // A bundle built before these folders existed: not this tree's bundle.
    t.skip(`dist/ is older than the app (no ${stale.join(', ')}): make publish`);
    return;
  }
  assert.ok(host(load(path.join(dist, 'host.json'))));
  for (const d of functionFolders) {
    assert.ok(fn(load(path.join(dist, d, 'function.json'))), `dist/${d}`);
  }
  assert.equal(existsSync(path.join(dist, 'local.settings.json')), false);
});
