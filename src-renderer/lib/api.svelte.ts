import { createApiClient, type Api } from '../../src-main/api/client';
import { createWebSocketTransport, type ConnectionState } from './websocket-transport';

export const connection = $state<{ state: ConnectionState }>({ state: window.api ? 'open' : 'connecting' });

/** Electron's preload provides `window.api`; in browser mode the same client runs over a WebSocket. */
export const api: Api = window.api ?? createApiClient(createWebSocketTransport((state) => (connection.state = state)));
