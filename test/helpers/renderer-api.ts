import { createApiClient, type Api } from '../../src-main/api/client';
import type { EventChannel, MethodChannel } from '../../src-main/api/contract';
import { openServices, type Services } from '../../src-main/host/services';
import { createApiHandlers, type ApiHandlers } from '../../src-main/host/handlers';

/**
 * The API client the renderer's state classes use, over the real services and handlers of a store in `dataDir` (no
 * window, no transport in between: `handlers` are what every transport calls). Nothing here trains.
 */
export function openRendererApi(dataDir: string): { api: Api; handlers: ApiHandlers; services: Services } {
  const services = openServices({
    dataDir,
    sampleDataset: false,
    spawnWorker: () => {
      throw new Error('nothing here trains');
    },
  });
  const handlers = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
  const api = createApiClient({
    invoke: (channel: MethodChannel, arg: unknown) => handlers.invoke(channel, arg),
    subscribe: (event: EventChannel, listener: (payload: unknown) => void) => handlers.subscribe(event, listener),
  });
  return { api, handlers, services };
}
