import { createApiClient, type Api } from '../api/client';
import type { EventChannel } from '../api/contract';
import { UserError } from '../api/errors';
import { appName, resolveDataDir } from '../app/paths';
import { createApiHandlers, type ApiHandlers } from '../host/handlers';
import { openServices, type Services } from '../host/services';
import { spawnNodeWorker } from '../worker/node-worker';
import { gracefulShutdown, shutdownTimeoutMs } from '../app/shutdown';
import type { CliApi } from './command';

export interface Session {
  api: CliApi;
  handlers: ApiHandlers;
  services: Services;
  dataDir: string;
}

/** The typed client with every `{ ok: false }` answer thrown, so a command reads like a script. */
function unwrapped(api: Api): CliApi {
  const { on, ...domains } = api;
  const calls = Object.fromEntries(
    Object.entries(domains).map(([domain, verbs]) => [
      domain,
      Object.fromEntries(
        Object.entries(verbs as Record<string, (arg?: unknown) => ReturnType<Api['runs']['list']>>).map(
          ([verb, call]) => [
            verb,
            async (arg?: unknown) => {
              const result = await call(arg as never);
              if (!result.ok) throw new UserError(result.error.code, result.error.message);
              return result.value;
            },
          ],
        ),
      ),
    ]),
  );
  return { ...calls, on } as unknown as CliApi;
}

/**
 * Opens the store and its services for one command, and the API over them through an in-process transport: the CLI
 * is a client like the renderer, so every argument passes the same schemas. Closed when the command ends.
 */
export async function withSession<T>(
  options: { dataDir: string | undefined; resumeQueue: boolean },
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const dataDir = resolveDataDir(options.dataDir);
  const services = openServices({ dataDir, spawnWorker: spawnNodeWorker, resumeQueue: options.resumeQueue });
  // SIGTERM (a service manager, `kill`) ends the command as the desktop app quits: training stops as Stop does, with
  // its checkpoint, and is left interrupted, resumable.
  const shutdown = gracefulShutdown({
    stop: () => services.close(),
    end: () => process.exit(143),
    timeoutMs: shutdownTimeoutMs,
    warn: (message) => console.error(message),
  });
  const onTerminate = () => void shutdown.request();
  process.on('SIGTERM', onTerminate);
  try {
    const handlers = createApiHandlers(services, {
      name: appName,
      version: process.env.npm_package_version ?? '',
      transport: 'browser',
    });
    const api = createApiClient({
      invoke: (channel, arg) => handlers.invoke(channel, arg),
      subscribe: (event, listener) => handlers.subscribe(event as EventChannel, listener),
    });
    return await work({ api: unwrapped(api), handlers, services, dataDir });
  } finally {
    process.off('SIGTERM', onTerminate);
    await services.close();
  }
}
