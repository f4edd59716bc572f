// Where one invocation's instructions go, from a callgrind profile of the
// handler (scripts/profile-phases.sh makes it): read, decode, function,
// encode, log line, write, free, other — instructions per invocation and
// their share — plus the heap calls per invocation.
// Not a test: node bench/phases.mjs CALLGRIND_OUT > bench/out/phases.json
//
// The profile is of the published handler, whose libmicrohttpd is built
// from source and keeps the names of its internal functions (Debian's
// libmicrohttpd.so.12 has none: its read and write paths would be bare
// addresses). The run is one thread (HANDLER_THREADS=1), one keep-alive
// connection, counting from the first request to the last.
//
// Attribution is by call edge: an edge caller → callee counts the callee's
// inclusive cost for the phase below; an edge not listed (and every
// function's own instructions outside those edges) is "other". No listed
// edge lies inside another, so nothing counts twice. The symbols, read
// from src/azf and libmicrohttpd 0.9.75 (src/microhttpd/connection.c):
//   read:   call_handlers → MHD_connection_handle_read (recv into the
//           connection's buffer); MHD_connection_handle_idle → the request
//           line and header parsers, the chunked-body decoder's helpers and
//           the read buffer's growth; on_request → what it does with the
//           upload (the connection's state, buf_append of each body piece,
//           the header lookups); MHD_connection_handle_idle → on_request
//           directly (the first call of a request, which opens its state).
//   decode: dispatch_into → the envelope reader (envelope_parse: the one
//           yajl pass, with the UTF-8 and depth checks) and the lookups that
//           check the trigger (envelope_member, envelope_kind, check_trigger).
//   function: dispatch_into → the app's function (any function of src/app/)
//           and inv_init; what the function asks of the API (azf_body_object,
//           azf_send, azf_reply_json, its log calls) is inside it.
//   encode: dispatch_into → inv_finish, inv_encode (the response text).
//   log:    dispatch_into → the stdout lines of log_invocation (inlined:
//           log_timestamp, line_head, buf_printf, buf_puts,
//           jsonx_append_string, fwrite).
//   write:  on_request → reply_invocation, reply (the MHD response made and
//           queued); MHD_connection_handle_idle → build_header_response,
//           try_ready_normal_body, MHD_destroy_response; call_handlers →
//           MHD_connection_handle_write (send).
//   free:   dispatch_into → inv_release, envelope_reset (the values the
//           invocation and its function made); MHD_connection_handle_idle →
//           on_completed (the request's end).
//   other:  the rest: MHD_pool_reset (libmicrohttpd clears the connection's
//           memory pool after each request), the event loop (epoll_wait,
//           timeouts), libmicrohttpd's state machine itself.
import fs from 'node:fs';

const PHASES = ['read', 'decode', 'function', 'encode', 'log', 'write', 'free'];
const EDGES = {
  call_handlers: { MHD_connection_handle_read: 'read', MHD_connection_handle_write: 'write' },
  MHD_connection_handle_idle: {
    get_next_header_line: 'read', process_broken_line: 'read', process_header_line: 'read',
    parse_initial_message_line: 'read', parse_request_headers: 'read', unescape_wrapper: 'read',
    MHD_strx_to_uint64_n_: 'read', MHD_strx_to_uint64_: 'read', MHD_str_equal_caseless_: 'read',
    MHD_lookup_connection_value_n: 'read', MHD_pool_reallocate: 'read', try_grow_read_buffer: 'read',
    on_request: 'read', build_header_response: 'write', try_ready_normal_body: 'write',
    MHD_destroy_response: 'write', on_completed: 'free',
  },
  on_request: {
    MHD_get_connection_info: 'read', buf_reset: 'read', buf_append: 'read', buf_cstr: 'read',
    MHD_lookup_connection_value: 'read', reply_invocation: 'write', reply: 'write',
    MHD_create_response_from_buffer: 'write', MHD_add_response_header: 'write',
    MHD_queue_response: 'write', MHD_destroy_response: 'write',
  },
  dispatch_into: {
    envelope_parse: 'decode', envelope_member: 'decode', envelope_kind: 'decode', check_trigger: 'decode',
    inv_init: 'function',
    inv_finish: 'encode', inv_encode: 'encode',
    log_invocation: 'log', log_timestamp: 'log', line_head: 'log', buf_printf: 'log', buf_puts: 'log',
    jsonx_append_string: 'log', fwrite: 'log',
    inv_release: 'free', envelope_reset: 'free',
  },
};
const HEAP = ['malloc', 'calloc', 'realloc', 'free'];

// callgrind's format: "fn=(id) name" starts a function's block; "cfn=" names
// the callee of the next "calls=" line, whose following cost line is the
// call's inclusive cost; other cost lines are the function's own. Names and
// files may be given once as "(id) name" and later as "(id)".
function parse(text) {
  const names = new Map();
  const files = new Map();
  const name = (kind, v) => {
    const m = v.match(/^\((\d+)\)(?: (.*))?$/);
    if (!m) return v;
    const map = kind === 'fl' ? files : names;
    if (m[2] !== undefined) map.set(m[1], m[2]);
    return map.get(m[1]);
  };
  const edges = new Map(); // "caller\tcallee" → {calls, cost}
  const fileOf = new Map(); // function → its file
  let total = 0;
  let fl = '';
  let fn = '';
  let cfn = '';
  let calls = -1;
  for (const line of text.split('\n')) {
    const kv = line.match(/^(\w+)=(.*)$/);
    if (kv) {
      const [, k, v] = kv;
      if (k === 'fl') fl = name('fl', v);
      else if (k === 'fi' || k === 'fe' || k === 'cfi' || k === 'cfl') name('fl', v);
      else if (k === 'fn') { fn = name('fn', v).replace(/'\d+$/, ''); if (!fileOf.has(fn)) fileOf.set(fn, fl); }
      else if (k === 'cfn') cfn = name('fn', v).replace(/'\d+$/, '');
      else if (k === 'calls') calls = Number(v.split(' ')[0]);
      continue;
    }
    const summary = line.match(/^(?:summary|totals): (\d+)/);
    if (summary) { total = Math.max(total, Number(summary[1])); continue; }
    if (calls < 0 || !/^[+\-*\d]/.test(line)) continue;
    const cost = Number(line.trim().split(/\s+/)[1] || 0);
    if (cfn !== fn) { // a call within a recursion is inside its outer call
      const key = `${fn}\t${cfn}`;
      const e = edges.get(key) || { calls: 0, cost: 0 };
      e.calls += calls;
      e.cost += cost;
      edges.set(key, e);
    }
    calls = -1;
  }
  return { edges, fileOf, total };
}

const file = process.argv[2];
if (!file) { console.error('usage: node bench/phases.mjs CALLGRIND_OUT'); process.exit(2); }
const { edges, fileOf, total } = parse(fs.readFileSync(file, 'utf8'));
const invocations = edges.get('on_request\tdispatch_into')?.calls ?? 0;
if (!invocations) { console.error(`phases: no invocation in ${file}`); process.exit(1); }

const cost = Object.fromEntries(PHASES.map((p) => [p, 0]));
for (const [key, e] of edges) {
  const [caller, callee] = key.split('\t');
  let phase = EDGES[caller]?.[callee];
  if (!phase && caller === 'dispatch_into' && /(^|\/)src\/app\//.test(fileOf.get(callee) || '')) phase = 'function';
  if (phase) cost[phase] += e.cost;
}
const per = (x) => Math.round(x / invocations);
const phases = PHASES.map((p) => ({ phase: p, instructions: per(cost[p]) }));
const known = PHASES.reduce((s, p) => s + cost[p], 0);
phases.push({ phase: 'other', instructions: per(total - known) });
const all = per(total);
for (const p of phases) p.percent = Math.round((1000 * p.instructions) / all) / 10;

// Heap calls per invocation: every call of the allocator, from anywhere.
const heap = Object.fromEntries(HEAP.map((h) => [h, 0]));
for (const [key, e] of edges) {
  const callee = key.split('\t')[1];
  if (HEAP.includes(callee)) heap[callee] += e.calls;
}
for (const h of HEAP) heap[h] = Math.round((10 * heap[h]) / invocations) / 10;
const poolReset = per(edges.get('MHD_connection_handle_idle\tMHD_pool_reset')?.cost ?? 0);

console.log(JSON.stringify({ invocations, instructions_per_invocation: all, phases, heap_calls_per_invocation: heap, mhd_pool_reset: poolReset }));
