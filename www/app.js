// The demo page: one SignalR connection through the app's negotiate
// function (or, signed in through App Service Authentication's /.auth
// endpoints, userNegotiate: the host tells the function who the user is,
// from the session cookie; the page never names itself), the notifications and status updates it receives, forms that
// act through that connection for this page only (invoke joinGroup,
// leaveGroup, sendToUser, sendToGroup: the keyed HTTP functions are for
// servers), and a chat: invoke("sendMessage")
// goes through the service's upstream to the sendMessage function, which
// broadcasts newMessage and returns an acknowledgement; presence events
// from onConnected/onDisconnected keep the online list. Untrusted text only
// ever goes into the page through textContent.
'use strict';

(function () {
  const API = '/api';
  // App Service Authentication's provider: func-local's local one; in Azure
  // the one configured there, e.g. 'aad' (docs/deploy.md).
  const LOGIN_PROVIDER = 'dev';
  const MAX_NOTES = 100;
  const MAX_CHAT = 2000; // bytes, as the sendMessage function allows
  const $ = (id) => document.getElementById(id);

  let connection = null;
  let generation = 0; // a replaced connection's events are ignored
  let userId = null;
  const joined = new Set();
  const online = new Map(); // connection id -> user id or null

  // --- connection state ----------------------------------------------------

  function setState(state, detail) {
    const el = $('state');
    el.dataset.state = state;
    el.textContent = state;
    $('reconnect').hidden = state !== 'closed';
    const err = $('conn-error');
    err.hidden = !detail;
    err.textContent = detail || '';
  }

  function setConnectionId(id) {
    $('connection-id').textContent = id || '-';
  }

  // A signed-in user negotiates at /api/user/negotiate with the session
  // cookie (same origin), which App Service Authentication turns into the
  // principal headers the function reads.
  function build(user) {
    return new signalR.HubConnectionBuilder()
      .withUrl(user ? API + '/user' : API)
      .withAutomaticReconnect()
      .configureLogging(signalR.LogLevel.Warning)
      .build();
  }

  async function connect(user) {
    const mine = ++generation;
    const old = connection;
    connection = null;
    if (old) {
      try { await old.stop(); } catch (e) { /* it is being replaced */ }
    }
    userId = user || null;
    $('identity').textContent = userId ? 'user ' + userId : 'anonymous';
    $('sign-out').hidden = !userId;
    setConnectionId(null);
    setState('connecting');
    if (typeof signalR === 'undefined') {
      setState('closed', 'lib/signalr.min.js did not load (run make).');
      return;
    }

    const c = build(userId);
    c.on('newNotification', (...args) => {
      if (mine === generation) addNotification(args);
    });
    c.on('statusUpdate', (status) => {
      if (mine === generation) showStatus(status);
    });
    c.on('newMessage', (m) => {
      if (mine === generation) addChat(m, c.connectionId);
    });
    c.on('presence', (p) => {
      if (mine === generation) presence(p, c.connectionId);
    });
    c.onreconnecting((err) => {
      if (mine !== generation) return;
      setState('reconnecting', err ? String(err.message || err) : '');
    });
    c.onreconnected(() => {
      if (mine !== generation) return;
      setState('connected');
      setConnectionId(c.connectionId);
      resetOnline(c.connectionId);
      // A new connection id: groups joined by connection id are gone.
      if (!userId) {
        joined.clear();
        drawGroups();
      }
    });
    c.onclose((err) => {
      if (mine !== generation) return;
      setState('closed', err ? String(err.message || err) : '');
      setConnectionId(null);
      resetOnline(null);
    });
    connection = c;
    try {
      await c.start();
    } catch (err) {
      if (mine === generation) {
        setState('closed', 'Could not connect: ' + String(err.message || err));
      }
      return;
    }
    if (mine !== generation) return;
    setState('connected');
    setConnectionId(c.connectionId);
    resetOnline(c.connectionId);
  }

  // --- what arrives ---------------------------------------------------------

  function render(value) {
    if (typeof value === 'string') {
      const span = document.createElement('span');
      span.className = 'text';
      span.textContent = value;
      return span;
    }
    const pre = document.createElement('pre');
    pre.className = 'json';
    pre.textContent = JSON.stringify(value, null, 2);
    return pre;
  }

  function clock(date) {
    return date.toISOString().slice(11, 19) + 'Z';
  }

  function addNotification(args) {
    const li = document.createElement('li');
    li.className = 'note';
    const time = document.createElement('time');
    time.dateTime = new Date().toISOString();
    time.textContent = clock(new Date());
    li.appendChild(time);
    li.appendChild(render(args.length === 1 ? args[0] : args));
    const list = $('notifications');
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_NOTES) list.removeChild(list.lastChild);
    $('notifications-empty').hidden = true;
    const count = $('notification-count');
    count.textContent = String(Number(count.textContent) + 1);
  }

  function showStatus(status) {
    const box = $('status');
    box.dataset.received = 'true';
    $('status-empty').hidden = true;
    $('status-facts').hidden = false;
    const ok = status && typeof status === 'object';
    const ts = ok && typeof status.timestamp === 'string' ? status.timestamp : '?';
    $('status-timestamp').textContent = ts;
    const healthy = $('status-healthy');
    if (ok && typeof status.servicesHealthy === 'boolean') {
      healthy.textContent = status.servicesHealthy ? 'healthy' : 'unhealthy';
      healthy.className = status.servicesHealthy ? 'good' : 'bad';
    } else {
      healthy.textContent = '?';
      healthy.className = '';
    }
    $('status-users').textContent =
      ok && typeof status.activeUsers === 'number' ? String(status.activeUsers) : '?';
    box.classList.remove('flash');
    void box.offsetWidth; // restart the highlight
    box.classList.add('flash');
  }

  // --- chat and presence ----------------------------------------------------

  function addChat(m, me) {
    const ok = m && typeof m === 'object';
    const li = document.createElement('li');
    li.className = 'note chat-msg';
    const time = document.createElement('time');
    const at = ok && typeof m.at === 'string' ? m.at : new Date().toISOString();
    time.dateTime = at;
    time.textContent = at.length >= 19 ? at.slice(11, 19) + 'Z' : at;
    li.appendChild(time);
    const body = document.createElement('span');
    body.className = 'text';
    const from = document.createElement('span');
    from.className = 'from';
    const who = ok && typeof m.from === 'string' ? m.from : '?';
    from.textContent = who;
    if (who === me || (userId && who === userId)) li.classList.add('mine');
    const text = document.createElement('span');
    text.className = 'msg';
    text.textContent = ok && typeof m.message === 'string' ? m.message : JSON.stringify(m);
    body.appendChild(from);
    body.appendChild(text);
    li.appendChild(body);
    const list = $('chat-messages');
    list.appendChild(li);
    while (list.children.length > MAX_NOTES) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
    $('chat-empty').hidden = true;
    const count = $('chat-count');
    count.textContent = String(Number(count.textContent) + 1);
  }

  function drawOnline(me) {
    const ul = $('online');
    ul.textContent = '';
    for (const [id, user] of online) {
      const li = document.createElement('li');
      li.dataset.connectionId = id;
      li.textContent = (user ? user + ' ' : '') + '(' + id + ')' + (id === me ? ' - you' : '');
      if (id === me) li.className = 'me';
      ul.appendChild(li);
    }
    $('online-count').textContent = String(online.size);
  }

  // A new connection of ours: the list starts again with just us.
  function resetOnline(me) {
    online.clear();
    if (me) online.set(me, userId);
    drawOnline(me);
  }

  function presence(p, me) {
    if (!p || typeof p !== 'object' || typeof p.connectionId !== 'string') return;
    if (p.event === 'connected') {
      online.set(p.connectionId, typeof p.userId === 'string' ? p.userId : null);
    } else if (p.event === 'disconnected' && p.connectionId !== me) {
      online.delete(p.connectionId);
    }
    drawOnline(me);
  }

  function chatResult(ok, text) {
    const out = $('chat-result');
    out.hidden = false;
    out.className = ok ? 'result good' : 'result bad';
    out.textContent = text;
  }

  $('chat-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('chat-text');
    const text = input.value;
    if (!text.trim()) {
      chatResult(false, 'type a message first');
      return;
    }
    if (new TextEncoder().encode(text).length > MAX_CHAT) {
      chatResult(false, 'the message is over ' + MAX_CHAT + ' bytes');
      return;
    }
    const c = connection;
    if (!c || c.state !== signalR.HubConnectionState.Connected) {
      chatResult(false, 'not connected');
      return;
    }
    chatResult(true, 'sending…');
    try {
      const ack = await c.invoke('sendMessage', text);
      const at = ack && typeof ack.at === 'string' ? ' at ' + ack.at : '';
      chatResult(true, (ack && ack.ok ? 'delivered' : 'sent') + at);
      input.value = '';
    } catch (err) {
      chatResult(false, 'failed: ' + String(err.message || err));
    }
  });

  // --- calls through the connection ----------------------------------------

  // invoke(method, ...args) on the live connection; the function's answer
  // (or its refusal) is shown in out. Returns the answer, or null.
  async function call(out, method, ...args) {
    out.hidden = false;
    out.className = 'result';
    out.textContent = 'sending…';
    const c = connection;
    if (!c || c.state !== signalR.HubConnectionState.Connected) {
      out.className = 'result bad';
      out.textContent = 'not connected';
      return null;
    }
    try {
      const ack = await c.invoke(method, ...args);
      out.className = 'result good';
      out.textContent = method + ': ' + JSON.stringify(ack, null, 2);
      return ack;
    } catch (err) {
      out.className = 'result bad';
      out.textContent = method + ' failed: ' + String(err.message || err);
      return null;
    }
  }

  function readMessage(text) {
    const t = text.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try { return JSON.parse(t); } catch (e) { /* send it as text */ }
    }
    return text;
  }

  $('recipient-kind').addEventListener('change', (ev) => {
    const input = $('recipient');
    input.placeholder = ev.target.value;
    if (ev.target.value === 'userId' && !input.value && userId) input.value = userId;
  });

  $('broadcast-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const to = $('recipient').value.trim();
    const method = $('recipient-kind').value === 'userId' ? 'sendToUser' : 'sendToGroup';
    call($('broadcast-result'), method, to, readMessage($('message').value));
  });

  function drawGroups() {
    const ul = $('groups');
    ul.textContent = '';
    for (const g of joined) {
      const li = document.createElement('li');
      li.textContent = g;
      ul.appendChild(li);
    }
  }

  $('group-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const leave = ev.submitter && ev.submitter.value === 'remove';
    const groupName = $('group-name').value.trim();
    const ack = await call($('group-result'), leave ? 'leaveGroup' : 'joinGroup', groupName);
    if (ack && ack.ok) {
      if (leave) joined.delete(groupName); else joined.add(groupName);
      drawGroups();
    }
  });

  // --- signing in -------------------------------------------------------------

  // App Service Authentication's session, if any: the user id, null when
  // signed out, undefined when /.auth is not there (turned off).
  async function signedInAs() {
    try {
      const res = await fetch('/.auth/me', { credentials: 'same-origin' });
      if (res.status === 404) return undefined;
      if (!res.ok) return null;
      const me = await res.json();
      return (me[0] && me[0].user_id) || null;
    } catch (e) {
      return undefined;
    }
  }

  // Sign in (a local provider here; a real one in Azure) and come back.
  $('user-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('user-name').value.trim();
    if (!name) return;
    if ((await signedInAs()) === undefined) {
      setState($('state').dataset.state || 'closed',
        'Sign-in needs App Service Authentication: make run turns it on ' +
        '(func-local --easy-auth).');
      return;
    }
    location.assign('/.auth/login/' + LOGIN_PROVIDER + '?user=' + encodeURIComponent(name) +
      '&post_login_redirect_uri=' + encodeURIComponent(location.pathname));
  });

  $('sign-out').addEventListener('click', () => {
    location.assign('/.auth/logout?post_logout_redirect_uri=' +
      encodeURIComponent(location.pathname));
  });

  $('connect-anon').addEventListener('click', () => {
    joined.clear();
    drawGroups();
    connect(null);
  });

  $('reconnect').addEventListener('click', () => connect(userId));

  signedInAs().then((user) => connect(user || null));
})();
