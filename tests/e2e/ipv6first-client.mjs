// ipv6first-client.mjs - a @microsoft/signalr client in a Node that prefers
// IPv6 for "localhost", as Debian 12's own Node 18 does: localhost resolves
// to ::1 first and only that address is tried (no "happy eyeballs"). Run by
// loopback.test.mjs in its own process, since both settings are global.
//
//   node ipv6first-client.mjs '{"url": ..., "token"?: ..., "target": ...}'
//
// Connects to url (a hub URL: the app's /api, or the emulator's
// /client/?hub=H with token), prints "connected <connectionId>", then
// "received <JSON of the first argument>" for the first call of target,
// and exits 0; any failure prints "error <message>" and exits 1.
import dns from 'node:dns';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

// 'ipv6first' is newer than Node 18, whose 'verbatim' order (its default)
// already takes ::1 first where /etc/hosts names it first, as Debian's does.
try {
  dns.setDefaultResultOrder('ipv6first');
} catch {
  dns.setDefaultResultOrder('verbatim');
}
net.setDefaultAutoSelectFamily(false);

// Debian 12's /etc/hosts names localhost on both loopbacks; where this
// machine's names only 127.0.0.1, answer as Debian's would, in the order
// asked for (ipv6first: ::1 first).
const lookup = dns.lookup;
const both = [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }];
dns.lookup = function lookupLocalhost(host, opts, cb) {
  if (typeof opts === 'function') { cb = opts; opts = {}; }
  if (typeof opts === 'number') opts = { family: opts };
  if (host !== 'localhost') return lookup.call(this, host, opts, cb);
  const all = both.filter((a) => !opts.family || a.family === opts.family);
  process.nextTick(() => (opts.all ? cb(null, all) : cb(null, all[0].address, all[0].family)));
  return undefined;
};

const { url, token, target } = JSON.parse(process.argv[2]);
const opts = token ? { accessTokenFactory: () => token } : {};
const conn = new signalR.HubConnectionBuilder().withUrl(url, opts)
  .configureLogging(signalR.LogLevel.None).build();
const timer = setTimeout(() => { console.log('error timed out'); process.exit(1); }, 15_000);
conn.on(target, async (m) => {
  console.log(`received ${JSON.stringify(m)}`);
  clearTimeout(timer);
  await conn.stop().catch(() => {});
  process.exit(0);
});
try {
  await conn.start();
  console.log(`connected ${conn.connectionId}`);
} catch (e) {
  console.log(`error ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ''}`);
  process.exit(1);
}
