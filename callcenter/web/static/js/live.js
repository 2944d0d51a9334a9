// A hub stream over a websocket: snapshot or resume by seq, pong to pings, reconnect with backoff.

export class LiveStream {
  // handlers: onSnapshot(data), onMessage(message), onState(state, detail)
  constructor(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.seq = null;
    this.retry = 0;
    this.socket = null;
    this.lastFrame = 0;
    this.watchdog = setInterval(() => this.checkAlive(), 5000);
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.seq === null ? "" : `?since=${this.seq}`;
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.path}${since}`);
    this.socket = socket;
    this.handlers.onState("connecting");
    socket.addEventListener("open", () => {
      this.retry = 0;
      this.lastFrame = Date.now();
      this.handlers.onState("live");
    });
    socket.addEventListener("message", (event) => this.receive(socket, event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  receive(socket, text) {
    this.lastFrame = Date.now();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "snapshot") {
      this.seq = message.seq;
      this.handlers.onSnapshot(message.data);
    } else if (message.type === "error") {
      this.handlers.onState("live", message.data && message.data.message);
    } else if (this.seq === null || message.seq > this.seq) {
      this.seq = message.seq;
      this.handlers.onMessage(message);
    }
  }

  async closed(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    // A refused handshake looks like any drop: ask the API whether we are still signed in.
    const me = await fetch("/api/auth/me", { credentials: "same-origin" }).catch(() => null);
    if (me && me.status === 401) {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    const delay = Math.min(15000, 500 * 2 ** this.retry) * (0.5 + Math.random() / 2);
    this.retry += 1;
    this.handlers.onState("reconnecting", `connection lost (${event.code}); retrying in ${Math.round(delay / 1000)} s`);
    setTimeout(() => this.connect(), delay);
  }

  // Pings come every heartbeat interval; a long silence means a dead link the browser has not noticed.
  checkAlive() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && Date.now() - this.lastFrame > 60000) {
      this.socket.close(4000, "no message for a minute");
    }
  }
}
