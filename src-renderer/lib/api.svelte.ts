import { createApiClient, type Api } from '../../src-main/api/client';
import { bridgeMissingMessage, chooseTransport } from './transport-choice';
import { createWebSocketTransport, type ConnectionState } from './websocket-transport';

const choice = chooseTransport({ hasBridge: Boolean(window.api), protocol: location.protocol });

/** 'bridge-missing': the desktop app's window without its preload bridge (see transport-choice.ts). */
export const connection = $state<{ state: ConnectionState | 'bridge-missing' }>({
  state: choice === 'bridge' ? 'open' : choice === 'bridge-missing' ? 'bridge-missing' : 'connecting',
});

/** Electron's preload provides `window.api`; in browser mode the same client runs over a WebSocket. */
export const api: Api =
  window.api ??
  createApiClient(
    choice === 'bridge-missing'
      ? {
          // Every call answers with the reason; nothing is tried.
          invoke: () => Promise.resolve({ ok: false, error: { code: 'internal', message: bridgeMissingMessage } }),
          subscribe: () => () => {},
        }
      : createWebSocketTransport((state) => (connection.state = state)),
  );
