// One reconnecting WebSocket to the platform's streams (docs/websocket.md). After every
// (re)connection `onOpen` runs, so the page fetches fresh snapshots and then applies
// diffs: the same snapshot-plus-diff rule a bot follows. `path` may be a function
// giving the path (a promise): it is asked again before every connection.

export class Stream {
  constructor(path, { onOpen, onMessage, onState } = {}) {
    this.path = path;
    this.onOpen = onOpen || (() => {});
    this.onMessage = onMessage || (() => {});
    this.onState = onState || (() => {});
    this.delay = 500;
    this.closed = false;
    this.offline = false;
    this.connects = 0;
    this.connect();
  }

  async connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let path;
    try {
      path = typeof this.path === "function" ? await this.path() : this.path;
    } catch {
      this.onState("reconnecting");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
      return;
    }
    if (this.closed || this.offline) return;  // closed or cut while asking
    const socket = new WebSocket(`${scheme}://${location.host}${path}`);
    this.socket = socket;
    this.onState("connecting");
    socket.addEventListener("open", () => {
      this.delay = 500;
      this.connects += 1;
      this.onState("live");
      this.onOpen(this);
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.stream !== undefined && message.data !== undefined) this.onMessage(message.data, message.stream);
      else this.onMessage(message, null);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket || this.closed) return;
      this.onState("reconnecting");
      if (this.offline) return;  // cut(): back with restore()
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  send(payload) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(payload));
  }

  /** Drop the connection as a network failure would; the stream reconnects itself. */
  drop() {
    this.socket?.close();
  }

  /** Cut the connection and stay away until `restore()`, as a longer outage would. */
  cut() {
    this.offline = true;
    this.socket?.close();
  }

  restore() {
    this.offline = false;
    this.connect();
  }

  close() {
    this.closed = true;
    this.socket?.close();
  }
}

/** The signed-in user's event stream: spot's events on `/ws/<key>`, futures' on
 * `/fstream/ws/<key>` (the same session listen key opens either). The key is asked
 * for before every connection: the live one comes back, or a new one after it was
 * ended (turning two-factor on ends it; a signed-out session gets none). */
export async function userStream(api, handlers, base = "/ws") {
  let key = (await api("POST", "/user-data-stream")).listen_key;
  let fresh = true;
  const path = async () => {
    if (!fresh) key = (await api("POST", "/user-data-stream")).listen_key;
    fresh = false;
    return `${base}/${key}`;
  };
  // Keep the key alive (it lives 60 minutes) while the page is open.
  setInterval(() => api("PUT", `/user-data-stream/${key}`).catch(() => {}), 30 * 60 * 1000);
  return new Stream(path, handlers);
}
