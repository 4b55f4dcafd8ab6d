import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiMethods, MethodChannel, Result } from '../src-main/api/contract';
import { createApiHandlers } from '../src-main/host/handlers';
import { openServices } from '../src-main/host/services';
import { spawnNodeWorker } from '../src-main/worker/node-worker';

/**
 * What the app-level benchmarks start from: a fresh store in a temporary folder with every service running on the
 * built worker, the API handlers every transport calls, and `call`, which invokes one and throws its error in words.
 * `close` stops the services and removes the folder.
 */
export function openBenchServices(name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `ae-studio-bench-${name}-`));
  const services = openServices({ dataDir, spawnWorker: spawnNodeWorker, sampleDataset: false });
  const handlers = createApiHandlers(services, { name: 'bench', version: 'bench', transport: 'browser' });
  async function call<C extends MethodChannel>(channel: C, args: ApiMethods[C]['args']) {
    const result = (await handlers.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
    if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
    return result.value;
  }
  async function close(): Promise<void> {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { dataDir, services, handlers, call, close };
}
