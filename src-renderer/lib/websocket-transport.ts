import type { ApiTransport } from '../../src-main/api/client';
import { maxRequestBytes, maxUploadBytes, type Result } from '../../src-main/api/contract';

const tokenKey = 'ae-studio-token';

const tokenInAddress = () => new URLSearchParams(location.hash.slice(1)).get('token');

/**
 * The launch token comes in the URL fragment. It is removed from the address bar (so it is not shown, shared or
 * bookmarked) and kept in this origin's storage (127.0.0.1 and this server's port), so a reload, a tab reopened from
 * history and a bookmark all reconnect while this server runs. A server started later prints a new link.
 */
function takeToken(): string {
  const fromAddress = tokenInAddress();
  if (fromAddress) {
    localStorage.setItem(tokenKey, fromAddress);
    history.replaceState(null, '', location.pathname + location.search);
    return fromAddress;
  }
  return localStorage.getItem(tokenKey) ?? '';
}

// Pasting a launch link into this tab changes only the fragment, which does not reload the page: reload, so the
// page connects with the token it carries.
addEventListener('hashchange', () => {
  if (tokenInAddress()) location.reload();
});

/** 'refused': the very first connection failed, e.g. the page was opened without its launch link's token. */
export type ConnectionState = 'connecting' | 'open' | 'lost' | 'refused';

/**
 * Browser mode's transport: one WebSocket to the server that launched this page. Calls made while (re)connecting
 * wait; if the connection drops, pending calls answer with an error and it reconnects with back-off.
 */
export function createWebSocketTransport(onState: (state: ConnectionState) => void): ApiTransport {
  const token = takeToken();
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let socket: WebSocket;
  const waitingForOpen: Array<() => void> = [];
  let retryMs = 500;
  let everOpened = false;

  const lost = (): Result<never> => ({
    ok: false,
    error: { code: 'internal', message: 'Lost the connection to Autoencoder Studio. Is the server still running?' },
  });

  function connect(): void {
    socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      retryMs = 500;
      everOpened = true;
      onState('open');
      waitingForOpen.splice(0).forEach((resume) => resume());
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as
        { id: number; result: Result<unknown> } | { event: string; payload: unknown };
      if ('event' in message) {
        listeners.get(message.event)?.forEach((listener) => listener(message.payload));
      } else {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      }
    });
    socket.addEventListener('close', () => {
      onState(everOpened ? 'lost' : 'refused');
      for (const resolve of pending.values()) resolve(lost());
      pending.clear();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    });
  }
  connect();

  return {
    async invoke(channel, arg) {
      if (socket.readyState !== WebSocket.OPEN) await new Promise<void>((resume) => waitingForOpen.push(resume));
      const id = nextId++;
      const message = JSON.stringify({ id, channel, arg });
      // The server closes a connection sent more than this; refuse here, in words, and keep the connection.
      if (message.length > maxRequestBytes) {
        return {
          ok: false,
          error: {
            code: 'invalid_argument',
            message: `This request is too large to send (${(message.length / 1e6).toFixed(0)} MB; a dropped image may be at most ${maxUploadBytes / 1e6} MB).`,
          },
        };
      }
      return new Promise((resolve) => {
        pending.set(id, resolve);
        socket.send(message);
      });
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
}
