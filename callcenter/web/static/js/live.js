// The agent's websocket stream: resume by seq after a drop, answer pings, reconnect with backoff.

export function connectStream(path, onMessage, onLink) {
  let lastSeq = null;
  let delay = 500;
  let socket = null;
  let watchdog = null;

  function open() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const query = lastSeq === null ? "" : `?since=${lastSeq}`;
    socket = new WebSocket(`${scheme}://${window.location.host}${path}${query}`);
    socket.addEventListener("open", () => {
      delay = 500;
      onLink("live");
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      alive();
      if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
        return;
      }
      if (typeof message.seq === "number") lastSeq = message.seq;
      onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      clearTimeout(watchdog);
      if (event.code === 1008 || event.code === 4001) {
        window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      onLink("reconnecting");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    });
  }

  // No message (not even a ping) for a long while: the link is dead even if the browser has not noticed.
  function alive() {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => socket && socket.close(), 60000);
  }

  open();
}
