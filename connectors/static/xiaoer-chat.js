/*
 * xiaoer chat client: a minimal Socket.IO (Engine.IO v4) client over WebSocket.
 * Speaks exactly what connectors/widget.py and the agent console serve; no
 * third-party library, so the widget stays a few kilobytes and loads from the
 * product itself.
 *
 *   const chat = XiaoerChat.connect({ url, token, onMessage, onEvent, onState, onSession });
 *   chat.send("我的快递到哪了", clientId).then(ack => ...);   // clientId optional
 *   chat.request("history", { after: 0 }).then(reply => ...);
 *   chat.reconnect();   // now, instead of waiting for the next back-off step
 *
 * The console passes { path: "/console/socket.io", auth: {} }: its socket signs in
 * with the session cookie instead of a shopper token.
 *
 * Network loss: a WebSocket on a dead network may stay "open" for minutes, so the
 * client also closes it when the server's heartbeat stops (pingInterval +
 * pingTimeout from the Engine.IO handshake) and when the browser reports going
 * offline; it reconnects with back-off, and at once when the browser is online again.
 */
(function (global) {
  "use strict";

  function connect(options) {
    var base = (options.url || "").replace(/\/$/, "");
    // affinity: a random key per page that a load balancer may hash on to keep this
    // client's requests on one replica (deploy/nginx), even among shoppers behind one NAT.
    var affinity = Math.random().toString(36).slice(2, 12);
    var wsUrl = base.replace(/^http/, "ws") + (options.path || "/socket.io") +
      "/?EIO=4&transport=websocket&affinity=" + affinity;
    var ws = null;
    var nextAck = 1;
    var pendingAcks = {};
    var retry = 0;
    var retryTimer = null;
    var watchdog = null;
    var heartbeatMs = 0;
    var closedByUs = false;
    var state = "connecting";

    function setState(next, detail) {
      state = next;
      if (options.onState) options.onState(next, detail);
    }

    function open() {
      if (closedByUs) return;
      clearTimeout(retryTimer);
      retryTimer = null;
      setState(retry ? "reconnecting" : "connecting");
      var socket = new WebSocket(wsUrl);
      ws = socket;
      // Events of a socket we already gave up on must not touch the current one.
      socket.onmessage = function (event) { if (socket === ws) receive(String(event.data)); };
      socket.onclose = function () { if (socket === ws) lost(); };
    }

    // The connection is gone (closed, dropped, or silent): fail what waits, retry later.
    function lost() {
      clearTimeout(watchdog);
      ws = null;
      Object.keys(pendingAcks).forEach(function (id) {
        pendingAcks[id].reject(new Error("disconnected"));
        delete pendingAcks[id];
      });
      if (closedByUs || state === "refused") return;
      setState("offline");
      retry += 1;
      retryTimer = setTimeout(open, Math.min(10000, 500 * Math.pow(2, retry - 1)));
    }

    // Closes the current socket as if the network had dropped it.
    function drop() {
      var socket = ws;
      if (!socket) return;
      ws = null;
      socket.onmessage = socket.onclose = null;
      try { socket.close(); } catch (e) { /* already closing */ }
      lost();
    }

    function reconnect() {
      if (closedByUs || state === "refused" || ws) return;   // connected or connecting already
      retry = Math.max(retry, 1);
      open();
    }

    function alive() {
      clearTimeout(watchdog);
      if (heartbeatMs) watchdog = setTimeout(drop, heartbeatMs);
    }

    function receive(packet) {
      alive();
      var type = packet.charAt(0);
      if (type === "0") {            // engine.io open: join the default namespace
        var handshake = safeParse(packet.slice(1)) || {};
        heartbeatMs = (handshake.pingInterval || 25000) + (handshake.pingTimeout || 20000);
        alive();
        var auth = options.auth || { token: options.token || null, visitor_id: options.visitorId || null };
        ws.send("40" + JSON.stringify(auth));
      } else if (type === "2") {     // engine.io ping
        ws.send("3");
      } else if (type === "4") {
        socketPacket(packet.slice(1));
      }
    }

    function socketPacket(body) {
      var kind = body.charAt(0);
      var rest = body.slice(1);
      if (kind === "0") {
        retry = 0;
        setState("online");
        if (options.onSession) {
          emit("session_request", {}).then(options.onSession, function () {});
        }
      } else if (kind === "4") {     // connect refused, e.g. an expired token
        var error = safeParse(rest) || {};
        closedByUs = true;
        setState("refused", error);
        ws.close();
      } else if (kind === "2") {
        var event = safeParse(rest.replace(/^\d+/, ""));
        if (!event) return;
        if (event[0] === "bot_uttered" && options.onMessage) options.onMessage(event[1]);
        else if (options.onEvent) options.onEvent(event[0], event[1]);
      } else if (kind === "3") {
        var match = /^(\d+)(.*)$/.exec(rest);
        if (!match) return;
        var waiting = pendingAcks[match[1]];
        delete pendingAcks[match[1]];
        if (waiting) waiting.resolve((safeParse(match[2]) || [])[0]);
      }
    }

    function emit(name, data) {
      return new Promise(function (resolve, reject) {
        if (!ws || ws.readyState !== 1 || state !== "online") {
          reject(new Error("offline"));
          return;
        }
        var id = String(nextAck++);
        pendingAcks[id] = { resolve: resolve, reject: reject };
        ws.send("42" + id + JSON.stringify([name, data]));
      });
    }

    function safeParse(text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    }

    // The browser knows about lost Wi-Fi before any timeout does.
    function onOffline() { drop(); }
    function onOnline() { reconnect(); }
    if (global.addEventListener) {
      global.addEventListener("offline", onOffline);
      global.addEventListener("online", onOnline);
    }

    open();
    return {
      send: function (message, clientId) {
        var data = { message: message };
        if (clientId) data.client_id = clientId;
        return emit("user_uttered", data);
      },
      request: emit,
      reconnect: reconnect,
      drop: drop,
      close: function () {
        closedByUs = true;
        clearTimeout(retryTimer);
        clearTimeout(watchdog);
        if (global.removeEventListener) {
          global.removeEventListener("offline", onOffline);
          global.removeEventListener("online", onOnline);
        }
        if (ws) ws.close();
      },
      state: function () { return state; }
    };
  }

  global.XiaoerChat = { connect: connect };
})(window);
