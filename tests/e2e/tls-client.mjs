// tls-client.mjs - a @microsoft/signalr client for emulator-tls.test.mjs,
// run in its own Node process so that the test CA can be trusted the way a
// Node app trusts one: NODE_EXTRA_CA_CERTS, read only when Node starts.
//
//   NODE_EXTRA_CA_CERTS=ca.pem node tls-client.mjs \
//     '{"url": ..., "target": ..., "transport"?: "WebSockets"|"ServerSentEvents"|"LongPolling"}'
//
// Connects to url (the app's /api behind func-local) with that one
// transport, prints "connected <connectionId>", then "received <JSON of
// the first argument>" for the first call of target and exits 0; any
// failure prints "error <message>" and exits 1.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const { url, target, transport } = JSON.parse(process.argv[2]);
const opts = transport ? { transport: signalR.HttpTransportType[transport] } : {};
const conn = new signalR.HubConnectionBuilder().withUrl(url, opts)
  .configureLogging(signalR.LogLevel.None).build();
const timer = setTimeout(() => { console.log('error timed out'); process.exit(1); }, 15_000);
conn.on(target, async (m) => {
  clearTimeout(timer);
  await conn.stop().catch(() => {});
  // A pipe takes a long line in pieces: exit once it is all written.
  process.stdout.write(`received ${JSON.stringify(m)}\n`, () => process.exit(0));
});
try {
  await conn.start();
  console.log(`connected ${conn.connectionId}`);
} catch (e) {
  console.log(`error ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ''}`);
  process.exit(1);
}
