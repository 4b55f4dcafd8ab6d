import type { ApiEvents, ApiMethods, EventChannel, MethodChannel, Result } from './contract';

/** How requests and events travel: Electron IPC in the desktop app, a WebSocket in browser mode. */
export interface ApiTransport {
  invoke(channel: MethodChannel, arg: unknown): Promise<Result<unknown>>;
  subscribe(event: EventChannel, listener: (payload: unknown) => void): () => void;
}

/**
 * The typed API the renderer calls: `api.<domain>.<verb>(args)` answering `Result`s, and `api.on(event, listener)`
 * returning an unsubscribe function. Built once per transport; `Api` is derived from it, never written by hand.
 */
export function createApiClient(transport: ApiTransport) {
  const call =
    <C extends MethodChannel>(channel: C) =>
    (...args: ApiMethods[C]['args'] extends void ? [] : [ApiMethods[C]['args']]) =>
      transport.invoke(channel, args[0]) as Promise<Result<ApiMethods[C]['result']>>;
  return {
    app: { info: call('app:info') },
    engine: { status: call('engine:status') },
    datasets: { list: call('datasets:list'), images: call('datasets:images') },
    presets: { list: call('presets:list') },
    training: { start: call('training:start'), stop: call('training:stop'), resume: call('training:resume') },
    runs: { list: call('runs:list'), get: call('runs:get'), reconstructions: call('runs:reconstructions') },
    on<E extends EventChannel>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      return transport.subscribe(event, listener as (payload: unknown) => void);
    },
  };
}

export type Api = ReturnType<typeof createApiClient>;
