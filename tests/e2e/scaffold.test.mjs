// `make function NAME=... TRIGGER=...` as a new user runs it, on a copy of
// the repository's files: one function of each trigger kind, then the
// copy builds, the new functions' own tests pass, the preflight (func-local
// --check) accepts the
// app, and the handler answers each new function's envelope with a 200.
// Bad names and names that exist are refused with a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, start, stop, freePort, eventually } from './lib.mjs';

const BUILD_MS = 300_000;
let copy;

const kinds = [
  { name: 'purchases', trigger: 'http', file: 'purchases',
    envelope: { Data: { req: { Url: 'http://localhost:7071/api/purchases?name=Ada', Method: 'GET',
      Query: { name: 'Ada' }, Headers: {}, Params: {} } }, Metadata: {} },
    check: (r) => assert.deepEqual(JSON.parse(r.Outputs.res.body), { hello: 'Ada' }) },
  { name: 'nightly-report', trigger: 'timer', file: 'nightly_report',
    envelope: { Data: { myTimer: { Schedule: { AdjustForDST: true }, IsPastDue: true } }, Metadata: {} },
    check: (r) => assert.equal(r.Logs[0], 'nightly-report: running late') },
  { name: 'shipIt', trigger: 'queue', file: 'shipIt',
    envelope: { Data: { message: JSON.stringify('{"orderId":7}') },
      Metadata: { DequeueCount: '1', Id: JSON.stringify('5f') } },
    check: (r) => assert.equal(r.Logs[0], 'shipIt: got 13 bytes: {"orderId":7}') },
  { name: 'ping', trigger: 'signalr', file: 'ping',
    envelope: { Data: { invocation: { ConnectionId: 'c1', UserId: 'ada', Category: 'messages',
      Event: 'ping', Arguments: ['hi', 2] } }, Metadata: {} },
    check: (r) => {
      assert.deepEqual(r.ReturnValue, ['hi', 2]);
      assert.deepEqual(r.Outputs.signalRMessages, [{ target: 'ping', arguments: ['ada'] }]);
    } },
];

// A user's own make in the copy: nothing inherited from a make that runs
// this test (its flags, SAN=1 of the sanitizer pass).
const userEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([k]) => !['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'SAN', 'BINDIR',
    'BUILD'].includes(k)));

function make(args, opts = {}) {
  return spawnSync('make', ['--no-print-directory', ...args],
    { cwd: copy, env: userEnv, encoding: 'utf8', timeout: opts.ms ?? 60_000 });
}

before(() => {
  copy = mkdtempSync(path.join(tmpdir(), 'scaffold-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((f) => f && existsSync(path.join(ROOT, f)));
  execFileSync('tar', ['-cf', path.join(copy, '.files.tar'), ...files], { cwd: ROOT });
  execFileSync('tar', ['-xf', '.files.tar'], { cwd: copy });
  rmSync(path.join(copy, '.files.tar'));
});

after(() => rmSync(copy, { recursive: true, force: true }));

test('make function creates a folder, a C file and a test for each trigger', () => {
  for (const k of kinds) {
    const r = make(['function', `NAME=${k.name}`, `TRIGGER=${k.trigger}`]);
    assert.equal(r.status, 0, r.stderr);
    for (const f of [`${k.name}/function.json`, `src/app/${k.file}.c`, `tests/app/check_${k.file}.c`]) {
      assert.ok(existsSync(path.join(copy, f)), `${f} was not created`);
    }
    const fj = JSON.parse(readFileSync(path.join(copy, k.name, 'function.json'), 'utf8'));
    assert.equal(fj.bindings[0].direction, 'in');
    assert.match(fj.bindings[0].type, /Trigger$/);
    // The C file registers the function under its folder's name.
    assert.match(readFileSync(path.join(copy, 'src/app', `${k.file}.c`), 'utf8'),
      new RegExp(`AZF_FUNCTION\\("${k.name}", AZF_`));
  }
});

test('make function refuses a bad or taken name with a clear message', () => {
  const cases = [
    [['NAME=purchases', 'TRIGGER=http'], /a function named 'purchases' exists already/],
    [['NAME=NEGOTIATE', 'TRIGGER=timer'], /a function named 'negotiate' exists already/],
    [['NAME=9lives', 'TRIGGER=http'], /'9lives' is not a valid function name/],
    [['NAME=a b', 'TRIGGER=http'], /'a b' is not a valid function name/],
    [['NAME=src', 'TRIGGER=http'], /'src' exists already/],
    [['NAME=fine', 'TRIGGER=blob'], /TRIGGER must be http, timer, queue or signalr/],
    [['NAME=x"; echo INJECTED; "', 'TRIGGER=http'], /is not a valid function name/],
    [['TRIGGER=http'], /usage: make function NAME=/],
  ];
  for (const [args, message] of cases) {
    const r = make(['function', ...args]);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /INJECTED/);
  }
  assert.ok(!existsSync(path.join(copy, 'fine')));
});

test('the copy builds, the new tests pass and the handler answers each function', async () => {
  let r = make(['-j2', 'bin/handler', 'bin/func-local', 'build/tests/check_unit'], { ms: BUILD_MS });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  r = spawnSync(path.join(copy, 'build/tests/check_unit'), [],
    { cwd: copy, encoding: 'utf8', env: { ...userEnv, CK_RUN_SUITE: 'app' }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /100%: Checks: ([4-9]|[1-9]\d+),/);
  r = spawnSync(path.join(copy, 'bin/func-local'), ['--check', '--app', copy],
    { cwd: copy, env: userEnv, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const k of kinds) assert.match(r.stdout, new RegExp(`ok {3}function ${k.name}: a `));

  const port = await freePort();
  const handler = start('handler', [], { FUNCTIONS_CUSTOMHANDLER_PORT: String(port) },
    { cwd: copy, bin: path.join(copy, 'bin/handler') });
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, 10_000, 'handler ready');
    for (const k of kinds) {
      const res = await fetch(`http://127.0.0.1:${port}/${k.name}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(k.envelope),
      });
      assert.equal(res.status, 200, k.name);
      k.check(await res.json());
    }
  } finally {
    await stop(handler);
  }
});
