// Bench peer: the same custom handler in Node.js (node:http, no framework),
// doing the same JSON work as bin/handler for broadcast and negotiate.
// Written to be a fair, idiomatic peer: one process, keep-alive, no logging
// beyond one line per invocation to stdout (as ours does).
import http from 'node:http';

const port = Number(process.env.FUNCTIONS_CUSTOMHANDLER_PORT || process.env.FUNCTIONS_HTTPWORKER_PORT);
if (!port) { console.error('FUNCTIONS_CUSTOMHANDLER_PORT is not set'); process.exit(1); }

const res400 = (msg) => ({ statusCode: 400, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error: msg }) });

function unwrap(v) {
  for (let i = 0; i < 2 && typeof v === 'string'; i++) {
    try { v = JSON.parse(v); } catch { break; }
  }
  return v;
}

function broadcast(env) {
  const req = env.Data && env.Data.req;
  const out = { Outputs: {}, Logs: [], ReturnValue: null };
  let body;
  try { body = JSON.parse(req.Body); } catch (e) { out.Outputs.res = res400('request body is not valid JSON'); return out; }
  if (!body || typeof body !== 'object' || Array.isArray(body)) { out.Outputs.res = res400('request body must be a JSON object'); return out; }
  if (!('message' in body)) { out.Outputs.res = res400("missing field 'message'"); return out; }
  const target = body.target ?? 'newNotification';
  const msg = { target, arguments: [body.message] };
  const recipients = ['connectionId', 'userId', 'groupName'].filter((k) => k in body);
  if (recipients.length > 1) { out.Outputs.res = res400('give at most one recipient'); return out; }
  if (recipients.length) msg[recipients[0]] = body[recipients[0]];
  out.Outputs.signalRMessages = [msg];
  out.Outputs.res = { statusCode: 200, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sent: true, target, recipient: recipients[0] || 'all' }) };
  out.Logs.push(`broadcast: queued 1 SignalR message '${target}'`);
  return out;
}

function negotiate(env) {
  const info = unwrap(env.Data && env.Data.connectionInfo);
  const out = { Outputs: {}, Logs: [], ReturnValue: null };
  out.Outputs.res = { statusCode: 200, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ url: info.url, accessToken: info.accessToken }) };
  out.Logs.push('negotiate: issued connection info');
  return out;
}

const fns = { broadcast, negotiate };

http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/') { res.writeHead(200); res.end(); return; }
  const fn = fns[req.url.slice(1)];
  if (!fn) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"error":"no such function"}'); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let env;
    try { env = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' }); res.end('{"error":"malformed envelope"}'); return;
    }
    const out = JSON.stringify(fn(env));
    process.stdout.write(JSON.stringify({ function: req.url.slice(1), invocationId: req.headers['x-azure-functions-invocationid'] || '' }) + '\n');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(out);
  });
}).listen(port, '127.0.0.1');
