import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ApiMethods, MethodChannel, Result, RunSummary, TrainingProgress } from '../api/contract';
import { createApiHandlers, type ApiHandlers } from '../api/handlers';
import { openServices, type Services } from '../app/services';
import { appName, rendererBuildDir, resolveDataDir } from '../app/paths';
import { spawnNodeWorker } from '../training/node-worker';
import { startBrowserServer } from '../server/browser-server';
import { UserError } from '../api/errors';

const usage = `Usage: ae-studio <command> [options]

Commands:
  serve                 Run the app in your browser (browser mode); prints the URL to open
  engine                Show the compute engine training uses here, and why not a faster one
  datasets              List datasets
  train                 Train a run and wait for it:
                          --dataset <name|id>  (default: the sample dataset)
                          --preset <id>        small-conv (default) or small-dense
                          --epochs <n> --batch <n> --lr <x> --latent <n> --seed <n> --name <text>
  runs                  List runs
  resume <run-id>       Continue a stopped or interrupted run from its last checkpoint
  help                  Show this help

Options:
  --data-dir <folder>   Where the experiment store lives (default: $AE_STUDIO_DATA_DIR or the app-data folder)
  --json                Print exactly one JSON document (errors too) instead of text
  --port <n>            serve: the port to listen on (default: a free one)
`;

const options = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  port: { type: 'string' },
  dataset: { type: 'string' },
  preset: { type: 'string', default: 'small-conv' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  latent: { type: 'string' },
  seed: { type: 'string' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

interface Output {
  json: boolean;
  result(value: unknown, text: string): void;
  progress(text: string): void;
}

function makeOutput(json: boolean): Output {
  return {
    json,
    result: (value, text) =>
      process.stdout.write(json ? `${JSON.stringify({ ok: true, value }, null, 2)}\n` : `${text}\n`),
    // Progress goes to stderr so stdout stays one parseable document with --json.
    progress: (text) => process.stderr.write(`${text}\n`),
  };
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new UserError('invalid_argument', `--${flag} must be a number, not "${value}".`);
  return parsed;
}

async function call<C extends MethodChannel>(
  handlers: ApiHandlers,
  channel: C,
  arg?: ApiMethods[C]['args'],
): Promise<ApiMethods[C]['result']> {
  const result = (await handlers.invoke(channel, arg)) as Result<ApiMethods[C]['result']>;
  if (!result.ok) throw new UserError(result.error.code, result.error.message);
  return result.value;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function formatProgress(p: TrainingProgress): string {
  const loss = p.trainLoss === null ? '' : ` loss ${p.trainLoss.toFixed(5)}`;
  const test = p.testLoss === null ? '' : ` test ${p.testLoss.toFixed(5)}`;
  const rate = p.imagesPerSec === null ? '' : ` ${Math.round(p.imagesPerSec)} img/s`;
  const eta = p.etaMs === null ? '' : ` ETA ${formatDuration(p.etaMs)}`;
  return `run ${p.runId} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}${loss}${test}${rate}${eta}`;
}

function formatRun(run: RunSummary): string {
  const loss = run.finalTestLoss === null ? '' : `  test loss ${run.finalTestLoss.toFixed(5)}`;
  const error = run.error ? `\n      ${run.error}` : '';
  return `#${run.id}  ${run.status.padEnd(11)} ${run.epochsDone}/${run.epochs} epochs  ${run.name}${loss}${error}`;
}

/** Follows a run to its end, printing progress; Ctrl+C stops it after the current batch (its checkpoint stays). */
async function follow(services: Services, handlers: ApiHandlers, out: Output, runId: number): Promise<RunSummary> {
  let lastPrinted = 0;
  const unsubscribe = handlers.subscribe('training:progress', (p) => {
    if (p.runId !== runId || p.phase === 'finished') return;
    if (p.phase === 'evaluating' || Date.now() - lastPrinted > 2000) {
      lastPrinted = Date.now();
      out.progress(formatProgress(p));
    }
  });
  const onSignal = () => {
    out.progress('Stopping after the current batch…');
    services.supervisor.stop(runId);
  };
  process.on('SIGINT', onSignal);
  try {
    await services.supervisor.waitForRun(runId);
  } finally {
    process.off('SIGINT', onSignal);
    unsubscribe();
  }
  return call(handlers, 'runs:list').then((runs) => runs.find((r) => r.id === runId)!);
}

async function resolveDatasetId(handlers: ApiHandlers, wanted: string | undefined): Promise<number> {
  const datasets = await call(handlers, 'datasets:list');
  if (datasets.length === 0) throw new UserError('not_found', 'There are no datasets yet.');
  if (wanted === undefined) return datasets[0].id;
  const found = datasets.find((d) => String(d.id) === wanted || d.name === wanted);
  if (!found) {
    throw new UserError(
      'not_found',
      `There is no dataset "${wanted}". Datasets: ${datasets.map((d) => `${d.id} "${d.name}"`).join(', ')}.`,
    );
  }
  return found.id;
}

async function runCommand(command: string, positionals: string[], flags: Flags, out: Output): Promise<number> {
  const dataDir = resolveDataDir(flags['data-dir']);
  const services = openServices({ dataDir, spawnWorker: spawnNodeWorker });
  const handlers = createApiHandlers(services, {
    name: appName,
    version: process.env.npm_package_version ?? '',
    transport: 'browser',
  });
  try {
    switch (command) {
      case 'engine': {
        const engine = await call(handlers, 'engine:status');
        const why = engine.unavailable.map((u) => `\n  not ${u.name}: ${u.reason}`).join('');
        out.result(engine, `Training uses ${engine.label} (${engine.name}; ${engine.detail}).${why}`);
        return 0;
      }
      case 'datasets': {
        const datasets = await call(handlers, 'datasets:list');
        const text = datasets
          .map(
            (d) =>
              `#${d.id}  ${d.name}  ${d.width}x${d.height}x${d.channels}  ${d.trainCount} train / ${d.testCount} test  ${d.classNames.length} classes`,
          )
          .join('\n');
        out.result(datasets, text || 'No datasets yet.');
        return 0;
      }
      case 'runs': {
        const runs = await call(handlers, 'runs:list');
        out.result(runs, runs.map(formatRun).join('\n') || 'No runs yet. Start one with: ae-studio train');
        return 0;
      }
      case 'train': {
        const datasetId = await resolveDatasetId(handlers, flags.dataset);
        const overrides = {
          epochs: number('epochs', flags.epochs),
          batchSize: number('batch', flags.batch),
          learningRate: number('lr', flags.lr),
          latent: number('latent', flags.latent),
          seed: number('seed', flags.seed),
        };
        const started = await call(handlers, 'training:start', {
          datasetId,
          presetId: flags.preset,
          ...(flags.name === undefined ? {} : { name: flags.name }),
          overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
        });
        out.progress(`Run ${started.id} queued: ${started.name}`);
        const run = await follow(services, handlers, out, started.id);
        out.result(run, formatRun(run));
        return run.status === 'completed' ? 0 : 1;
      }
      case 'resume': {
        const runId = number('run-id', positionals[0]);
        if (runId === undefined)
          throw new UserError('invalid_argument', 'Say which run to resume: ae-studio resume <run-id>');
        await call(handlers, 'training:resume', { runId });
        const run = await follow(services, handlers, out, runId);
        out.result(run, formatRun(run));
        return run.status === 'completed' ? 0 : 1;
      }
      case 'serve': {
        const server = await startBrowserServer({
          handlers,
          rendererDir: rendererBuildDir(),
          port: number('port', flags.port),
        });
        out.result(
          { url: server.url, dataDir },
          `${appName} is running in browser mode.\nOpen ${server.url}\nData folder: ${dataDir}\nPress Ctrl+C to quit.`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        out.progress('Shutting down…');
        await server.close();
        return 0;
      }
      default:
        throw new UserError('invalid_argument', `Unknown command "${command}". Run "ae-studio help" for the list.`);
    }
  } finally {
    await services.close();
  }
}

/** Runs the CLI; returns the process exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    json = values.json;
    const out = makeOutput(json);
    const [command = 'help', ...rest] = positionals;
    if (command === 'help' || values.help) {
      out.result({ usage }, usage);
      return 0;
    }
    return await runCommand(command, rest, values, out);
  } catch (err) {
    const isUsage = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const error =
      err instanceof UserError
        ? { code: err.code, message: err.message }
        : { code: isUsage ? 'invalid_argument' : 'internal', message: (err as Error).message };
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
    else process.stderr.write(`Error: ${error.message}\n`);
    return isUsage || error.code === 'invalid_argument' ? 2 : 1;
  }
}
