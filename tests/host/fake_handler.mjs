// fake_handler.mjs - a custom handler that records what the host sends.
//
// Started by func-local like the real handler (FUNCTIONS_CUSTOMHANDLER_PORT
// and the rest of the environment). Each request is appended as one JSON
// line to $FAKE_CAPTURE: method, path, raw headers, body, the socket's
// remote port (to see keep-alive), and the environment variables the host
// sets. The reply for POST /<fn> is taken from $FAKE_REPLIES (a JSON file
// read on each request: {"<fn>": {"status", "contentType", "body" | "raw"}})
// or is {"Outputs": {}, "Logs": []}. POST /crash exits with code 1.
import http from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';

const port = Number(process.env.FUNCTIONS_CUSTOMHANDLER_PORT);
const env = {};
for (const k of Object.keys(process.env)) {
  if (k.startsWith('FUNCTIONS_') || k.startsWith('FAKE_') || k === 'FROM_FILE'
      || k === 'OVERRIDDEN' || k === 'AzureSignalRConnectionString') env[k] = process.env[k];
}

function replies() {
  try { return JSON.parse(readFileSync(process.env.FAKE_REPLIES, 'utf8')); } catch { return {}; }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200).end();
      return;
    }
    appendFileSync(process.env.FAKE_CAPTURE, JSON.stringify({
      method: req.method, path: req.url, rawHeaders: req.rawHeaders, body,
      remotePort: req.socket.remotePort, env, cwd: process.cwd(), pid: process.pid,
    }) + '\n');
    if (req.url === '/crash') process.exit(1);
    const fn = req.url.slice(1);
    const r = replies()[fn];
    if (r && r.delayMs) {
      setTimeout(() => send(res, r), r.delayMs);
      return;
    }
    send(res, r);
  });
});

function send(res, r) {
  if (!r) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ Outputs: {}, Logs: [], ReturnValue: null }));
    return;
  }
  const headers = {};
  if (r.contentType) headers['Content-Type'] = r.contentType;
  res.writeHead(r.status || 200, headers);
  res.end(r.raw !== undefined ? r.raw : JSON.stringify(r.body));
}

server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`fake handler listening on ${port}`);
  console.error('fake handler: a line on stderr');
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
