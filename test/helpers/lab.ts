import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalGroup, startCli } from './cli-process';

export type CliProcess = ReturnType<typeof startCli>;

/**
 * `ae-studio hub` on a data folder, a PostgreSQL and a port, with a 10 s heartbeat timeout (pg-boss's least) and a
 * 40 MB upload limit; resolves once it listens, with its token.
 */
export async function startHubProcess(
  dataDir: string,
  db: string,
  port: number,
): Promise<CliProcess & { token: string }> {
  const hub = startCli([
    'hub',
    '--data-dir',
    dataDir,
    '--db',
    db,
    '--port',
    String(port),
    '--heartbeat-seconds',
    '10',
    '--max-upload-mb',
    '40',
  ]);
  let out = '';
  hub.child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('Lab hub at')) {
    if (Date.now() > deadline || hub.child.exitCode !== null) {
      hub.child.kill('SIGKILL');
      throw new Error(`The hub did not start: ${(await hub.done).stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ...hub, token: readFileSync(join(dataDir, 'lab', 'hub-token'), 'utf8').trim() };
}

/** `ae-studio worker` with its own store. */
export function startWorkerProcess(url: string, token: string, dataDir: string): CliProcess {
  return startCli(['worker', '--hub', url, '--token', token, '--data-dir', dataDir]);
}

/** Signals a hub or worker (and the training process it started) and waits for it to end. */
export async function stopProcess(process: CliProcess, signal: NodeJS.Signals): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  signalGroup(process.child, signal);
  await process.done;
}
