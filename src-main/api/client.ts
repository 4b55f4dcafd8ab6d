import type { ApiEvents, ApiMethods, EventChannel, MethodChannel, Result } from './contract';
import { methodChannels } from './contract';

/** How requests and events travel: Electron IPC in the desktop app, a WebSocket in browser mode. */
export interface ApiTransport {
  invoke(channel: MethodChannel, arg: unknown): Promise<Result<unknown>>;
  subscribe(event: EventChannel, listener: (payload: unknown) => void): () => void;
}

type Call<C extends MethodChannel> = (
  ...args: ApiMethods[C]['args'] extends void ? [] : [ApiMethods[C]['args']]
) => Promise<Result<ApiMethods[C]['result']>>;

type Domain = MethodChannel extends `${infer D}:${string}` ? D : never;

/** `api.<domain>.<verb>` for every channel `domain:verb` of the contract, derived from it so they cannot drift. */
type Methods = {
  [D in Domain]: { [C in MethodChannel as C extends `${D}:${infer V}` ? V : never]: Call<C> };
};

export type Api = Methods & {
  on<E extends EventChannel>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
};

/**
 * The typed API the renderer calls: `api.<domain>.<verb>(args)` answering `Result`s, and `api.on(event, listener)`
 * returning an unsubscribe function. Built once per transport from the contract's channel list.
 */
export function createApiClient(transport: ApiTransport): Api {
  const methods: Record<string, Record<string, (arg?: unknown) => Promise<Result<unknown>>>> = {};
  for (const channel of methodChannels) {
    const [domain, verb] = channel.split(':');
    methods[domain] ??= {};
    methods[domain][verb] = (arg?: unknown) => transport.invoke(channel, arg);
  }
  return {
    ...(methods as unknown as Methods),
    on: (event, listener) => transport.subscribe(event, listener as (payload: unknown) => void),
  };
}
