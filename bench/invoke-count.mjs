// Send exactly N invocation envelopes over one keep-alive connection, one
// after the other, framed as bench/invoke.lua frames them for wrk (chunked
// body, the host's headers), and check each answer is a 200. For the
// profile run of make bench, which needs a fixed count (wrk runs for a time).
// Not a test: node bench/invoke-count.mjs PORT N ENVELOPE_FILE [PATH]
import fs from 'node:fs';
import net from 'node:net';

const [port, n, file, path = '/broadcast'] = process.argv.slice(2);
const body = fs.readFileSync(file);
const head = [
  `POST ${path} HTTP/1.1`, 'Host: 127.0.0.1',
  'User-Agent: Azure-Functions-Host/4.1036.1.23224',
  'X-Azure-Functions-HostVersion: 4.1036.1.23224',
  'X-Azure-Functions-InvocationId: a7d4b0c2-1e9f-4d3a-8b6c-5f2e7a9d0c14',
  'Content-Type: application/json; charset=utf-8',
  'Transfer-Encoding: chunked', '', `${body.length.toString(16)}`, ''].join('\r\n');
const raw = Buffer.concat([Buffer.from(head), body, Buffer.from('\r\n0\r\n\r\n')]);

const sock = net.connect(Number(port), '127.0.0.1');
let pending = Buffer.alloc(0);
let done = 0;
const fail = (why) => { console.error(`invoke-count: ${why}`); process.exit(1); };
sock.on('error', (e) => fail(e.message));
sock.on('connect', () => sock.write(raw));
sock.on('data', (d) => {
  pending = Buffer.concat([pending, d]);
  for (;;) {
    const end = pending.indexOf('\r\n\r\n');
    if (end < 0) return;
    const headers = pending.subarray(0, end).toString('latin1');
    const len = Number((headers.match(/\r\ncontent-length:\s*(\d+)/i) || [])[1]);
    if (!Number.isFinite(len)) fail('an answer without Content-Length');
    if (pending.length < end + 4 + len) return;
    if (!headers.startsWith('HTTP/1.1 200')) fail(`answer ${done + 1}: ${headers.split('\r\n')[0]}`);
    pending = pending.subarray(end + 4 + len);
    if (++done === Number(n)) { sock.end(); return; }
    sock.write(raw);
  }
});
sock.on('close', () => { if (done !== Number(n)) fail(`closed after ${done} of ${n}`); });
