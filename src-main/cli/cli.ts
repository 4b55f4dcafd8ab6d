import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import type {
  TrainingConfig,
  ApiMethods,
  BuiltinDataset,
  ImageFit,
  ImportProgress,
  MethodChannel,
  Result,
  RunSummary,
  TrainingProgress,
  DistanceMetric,
  EmbeddingSplit,
  LatentJobArgs,
  LatentProgress,
  ProjectionSettings,
  ProjectionSummary,
  TsneSettings,
  EvalImages,
  Split,
  RunComparison,
  SweepAxis,
  SweepParam,
  SweepSummary,
} from '../api/contract';
import { createApiHandlers, type ApiHandlers } from '../host/handlers';
import { openServices, type Services } from '../host/services';
import { appName, rendererBuildDir, resolveDataDir } from '../app/paths';
import { spawnNodeWorker } from '../worker/node-worker';
import { startBrowserServer } from '../server/browser-server';
import { UserError } from '../api/errors';
import { configFromFlags, parseNoise } from './train-options';
import { crispScale, imageGridPng } from '../evaluation/figure-png';
import { getSweepSummary, resumeUnfinished } from '../experiments/sweeps';
import { writeFileAtomic } from '../app/files';
import { defaultTsneSettings } from '../latent/tsne';
import { defaultUmapSettings } from '../latent/project';

const usage = `Usage: ae-studio <command> [options]

Commands:
  serve                 Run the app in your browser (browser mode); prints the URL to open
  engine                Show the compute engine training uses here (the GPU by name), and why not a faster one
  datasets              List datasets
  dataset <id>          Show one dataset; --report adds its import report (skipped files with reasons)
  import <folder>       Import a folder of images sorted into class sub-folders (optionally under train/, test/):
                          --name <text> --size <px, default 64> --channels <1|3, default 3>
                          --fit <cover|contain|stretch> --test-split <fraction|folders> --seed <n>
                          --exclude <class> (repeatable) --background <#rrggbb>
  import-builtin <set>  Import mnist, fashion-mnist, kmnist or cifar10 from its original files: --from <folder>;
                          without --from the files are downloaded (checked, resumable, kept for next time);
                          fashion-mnist uses Debian's dataset-fashion-mnist package when it is installed
  presets [--dataset D]  List the model presets (adapted to the dataset's image size) with their parameter counts
  train                 Train a run and wait for it:
                          --dataset <name|id>  (default: the sample dataset)
                          --preset <id>        see "ae-studio presets" (default small-conv), or
                          --config <file.json> a training config (e.g. saved from "ae-studio run <id> --json")
                          --epochs <n> --batch <n> --lr <x> --latent <n> --seed <n> --loss <mse|bce>
                          --noise <type[:level]>  denoising: gaussian, saltPepper, occlusion, gaussianOcclusion,
                                                  blur, warp (or none)
                          --early-stop <epochs>   stop when the test loss has not improved for that many epochs
                          --name <text>
  runs                  List runs
  run <run-id>          Show one run: config, status and per-epoch losses
  resume <run-id>       Continue a stopped or interrupted run from its last checkpoint; --cpu trains it on the CPU
                          even where the GPU engine loads (e.g. after a GPU fault)
  embed <run-id>        Encode a split with the run's encoder and store the codes: --split <train|test|all>
                          (default test) --epoch <n> (default: the latest checkpoint)
  project <run-id>      Lay the codes out in 2-D and store the map: --method <tsne|umap|pca> (default tsne), --split,
                          --epoch; t-SNE: --perplexity <5-100, default 30> --iterations <n, default 1000>
                          --lr <x|auto> --exaggeration <x, default 12> --init <pca|random> --seed <n>;
                          UMAP: --neighbors <n, default 15> --min-dist <x, default 0.1> --epochs <n> --seed <n>
  export-csv <run-id>   Write a map as CSV for Tableau (file_name, label, label_name, split, x1, x2):
                          --out <file.csv> --projection <id> (default: the run's newest map) --latent (add z0…zK)
  search <run-id>       The images whose codes are nearest to one image's: --index <i> (position in the split) or
                          --image <file>; --k <n, default 10> --metric <l1|l2|cosine, default l2> --split --epoch
  reconstruct <run-id>  Reconstruct images and report each one's error: --split <train|test, default test>
                          --n <count, default 10> --order <first|random|worst|best> --seed <n> --epoch <n>
                          --image <file> (instead of the dataset's images) --noise <type[:level]> (corrupt first)
                          --out <file.png> (originals above reconstructions)
  generate <run-id>     Decode random codes into new images (a VAE from its prior; otherwise from the training
                          codes' fitted distribution): --n <count, default 16> --seed <n> --epoch <n> --out <file.png>
  sweep                 Train one run per combination of values and summarise them:
                          --dataset D (--preset P | --config FILE) --vary <param=v1,v2,…> (once or twice; param:
                          latent, batch, lr, epochs, noise, seed) and train's other options for the base config
  resume-sweep <id>     Continue a sweep that was interrupted (queued runs start, interrupted ones resume)
  sweeps                List sweeps with each run's values and final test loss
  projects              List projects (* marks the open one; lists show its datasets, runs and sweeps):
                          --new <name> creates and opens one, --open <id> opens one
  compare <run-id>…     Several runs side by side: final and best losses, and the settings that differ
  export-run <run-id>   Write a run as a folder (config, metrics CSV, checkpoints, model in tfjs format, gallery
                          PNGs): --out <folder>
  import-run <folder>   Add an exported run to this store (its dataset must be here already)
  label <run-id>        Rename a run or set its notes and tags: --name <text> --notes <text> --tag <t> (repeatable)
  delete-run <run-id>   Delete a run and its files
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
  preset: { type: 'string' },
  config: { type: 'string' },
  loss: { type: 'string' },
  noise: { type: 'string' },
  'early-stop': { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  latent: { type: 'string' },
  seed: { type: 'string' },
  name: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  fit: { type: 'string' },
  'test-split': { type: 'string' },
  exclude: { type: 'string', multiple: true },
  background: { type: 'string' },
  from: { type: 'string' },
  report: { type: 'boolean', default: false },
  cpu: { type: 'boolean', default: false },
  split: { type: 'string' },
  epoch: { type: 'string' },
  method: { type: 'string' },
  perplexity: { type: 'string' },
  neighbors: { type: 'string' },
  'min-dist': { type: 'string' },
  iterations: { type: 'string' },
  exaggeration: { type: 'string' },
  init: { type: 'string' },
  projection: { type: 'string' },
  'latent-columns': { type: 'boolean', default: false },
  out: { type: 'string' },
  index: { type: 'string' },
  k: { type: 'string' },
  metric: { type: 'string' },
  image: { type: 'string' },
  vary: { type: 'string', multiple: true },
  notes: { type: 'string' },
  new: { type: 'string' },
  open: { type: 'string' },
  tag: { type: 'string', multiple: true },
  n: { type: 'string' },
  order: { type: 'string' },
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

/** Drops the options the user did not give, so the API applies its defaults. */
function definedOnly<T extends Record<string, number | undefined>>(values: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
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
  const error = run.error ? `\n      ${run.error}` : run.note ? `\n      ${run.note}` : '';
  return `#${run.id}  ${run.status.padEnd(11)} ${run.epochsDone}/${run.epochs} epochs  ${run.name}${loss}${error}`;
}

/** The dataset and training config that train's and sweep's options describe. */
async function configOfFlags(handlers: ApiHandlers, flags: Flags): Promise<{ datasetId: number; config: unknown }> {
  const datasetId = await resolveDatasetId(handlers, flags.dataset);
  const presets = await call(handlers, 'presets:list', { datasetId });
  const config = configFromFlags(presets, {
    preset: flags.preset,
    config: flags.config,
    epochs: number('epochs', flags.epochs),
    batch: number('batch', flags.batch),
    lr: number('lr', flags.lr),
    latent: number('latent', flags.latent),
    seed: number('seed', flags.seed),
    loss: flags.loss,
    noise: flags.noise,
    earlyStop: number('early-stop', flags['early-stop']),
  });
  return { datasetId, config };
}

/** "latent=2,6,16" as a sweep axis. */
function parseVary(text: string): SweepAxis {
  const match = /^([a-z]+)=(.+)$/.exec(text.trim());
  if (!match)
    throw new UserError('invalid_argument', `--vary takes param=v1,v2,… (e.g. latent=2,6,16), not "${text}".`);
  const values = match[2].split(',').map((v) => Number(v.trim()));
  const bad = match[2].split(',').find((v) => !Number.isFinite(Number(v.trim())) || v.trim() === '');
  if (bad !== undefined) throw new UserError('invalid_argument', `--vary ${match[1]}: "${bad}" is not a number.`);
  return { param: match[1] as SweepParam, values };
}

function formatSweep(sweep: SweepSummary): string {
  const rows = sweep.runs.map((r) => {
    const values = Object.entries(r.values)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const loss = r.finalTestLoss === null ? '—' : r.finalTestLoss.toFixed(5);
    return `  #${r.runId}  ${values.padEnd(22)} ${r.status.padEnd(11)} ${r.epochsDone}/${r.epochs} epochs  test loss ${loss}`;
  });
  return [`Sweep ${sweep.id} (${sweep.status}): ${sweep.name}`, ...rows].join('\n');
}

function formatComparison(c: RunComparison): string {
  const head = c.runs.map(
    (r) =>
      `#${r.id}  ${r.name}\n      final test loss ${r.finalTestLoss?.toFixed(5) ?? '—'}, best ${r.bestTestLoss?.toFixed(5) ?? '—'}, ` +
      `${r.epochsDone}/${r.epochs} epochs, ${r.status}`,
  );
  const diff = c.differences.length
    ? ['Settings that differ:', ...c.differences.map((d) => `  ${d.setting}: ${d.values.join(' | ')}`)]
    : ['Their settings are the same.'];
  return [...head, '', ...diff].join('\n');
}

/** Follows a sweep's runs one after another; Ctrl+C stops the current run and leaves the rest queued. */
async function followSweep(services: Services, handlers: ApiHandlers, out: Output, sweepId: number): Promise<number> {
  const pending = async () => getSweepSummary(services.db, sweepId);
  let sweep = await pending();
  for (const run of sweep.runs) {
    if (run.status !== 'queued' && run.status !== 'running') continue;
    if (!services.supervisor.isQueuedOrActive(run.runId)) {
      out.progress(`Run ${run.runId} is being trained by another Autoencoder Studio process; not waiting for it.`);
      continue;
    }
    out.progress(
      `Run ${run.runId}: ${Object.entries(run.values)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    const done = await follow(services, handlers, out, run.runId);
    if (done.status === 'stopped') {
      out.progress(`Stopped. Continue later with: ae-studio resume-sweep ${sweepId}`);
      break;
    }
  }
  sweep = await pending();
  out.result(sweep, formatSweep(sweep));
  return sweep.status === 'completed' ? 0 : 1;
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

/** Follows an import to its end with progress on stderr; Ctrl+C cancels it and nothing is saved. */
async function followImport(services: Services, out: Output, jobId: number): Promise<ImportProgress> {
  let lastPrinted = 0;
  const unsubscribe = services.imports.onProgress((p) => {
    if (p.jobId !== jobId || p.status !== 'running' || Date.now() - lastPrinted < 1000) return;
    lastPrinted = Date.now();
    const eta = p.etaMs === null ? '' : `, ETA ${formatDuration(p.etaMs)}`;
    out.progress(`${p.phase} ${p.done}/${p.total}${p.skipped ? `, ${p.skipped} skipped` : ''}${eta}`);
  });
  const onSignal = () => {
    out.progress('Cancelling the import…');
    services.imports.cancel(jobId);
  };
  process.on('SIGINT', onSignal);
  try {
    return await services.imports.waitFor(jobId);
  } finally {
    process.off('SIGINT', onSignal);
    unsubscribe();
  }
}

async function finishImport(services: Services, handlers: ApiHandlers, out: Output, jobId: number): Promise<number> {
  const progress = await followImport(services, out, jobId);
  if (progress.status !== 'completed' || progress.datasetId === null) {
    throw new UserError(
      progress.status === 'cancelled' ? 'cancelled' : 'file_error',
      progress.error ?? 'The import failed.',
    );
  }
  return showDataset(handlers, out, progress.datasetId, true);
}

async function showDataset(
  handlers: ApiHandlers,
  out: Output,
  datasetId: number,
  withReport: boolean,
): Promise<number> {
  const dataset = (await call(handlers, 'datasets:list')).find((d) => d.id === datasetId);
  if (!dataset) throw new UserError('not_found', `There is no dataset with id ${datasetId}.`);
  const report = withReport ? await call(handlers, 'datasets:report', { datasetId }) : undefined;
  const classes = dataset.classNames
    .map((name, i) => `  ${name}: ${dataset.classCounts.train[i]} train, ${dataset.classCounts.test[i]} test`)
    .join('\n');
  const skipped = report?.skipped.length
    ? `\nSkipped ${report.skipped.length} files:\n${report.skipped.map((s) => `  ${s.path}: ${s.reason}`).join('\n')}`
    : '';
  out.result(
    report === undefined ? dataset : { ...dataset, report },
    `#${dataset.id} ${dataset.name}  ${dataset.width}x${dataset.height}x${dataset.channels}  ${dataset.trainCount} train / ${dataset.testCount} test\n${classes}${skipped}`,
  );
  return 0;
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

/** Runs a latent-space job to its end with progress on stderr; Ctrl+C cancels it and nothing is saved. */
async function finishLatentJob(services: Services, out: Output, args: LatentJobArgs): Promise<LatentProgress> {
  const jobId = services.latent.start(args);
  let lastPrinted = 0;
  const unsubscribe = services.latent.onProgress((p) => {
    if (p.jobId !== jobId || p.status !== 'running' || Date.now() - lastPrinted < 1000) return;
    lastPrinted = Date.now();
    const eta = p.etaMs === null ? '' : `, ETA ${formatDuration(p.etaMs)}`;
    out.progress(`${p.phase}${p.total ? ` ${p.done}/${p.total}` : ''}${eta}`);
  });
  const onSignal = () => {
    out.progress('Cancelling…');
    services.latent.cancel(jobId);
  };
  process.on('SIGINT', onSignal);
  try {
    const progress = await services.latent.waitFor(jobId);
    if (progress.status !== 'completed') {
      throw new UserError(progress.status === 'cancelled' ? 'cancelled' : 'internal', progress.error ?? 'It failed.');
    }
    return progress;
  } finally {
    process.off('SIGINT', onSignal);
    unsubscribe();
  }
}

/** Rows of images (base64 uint8) as one crisp PNG, written atomically; returns the absolute path. */
async function writeGrid(
  out: string,
  shape: { width: number; height: number; channels: 1 | 3 },
  rows: Array<string | Uint8Array>,
): Promise<string> {
  const png = await imageGridPng({
    ...shape,
    rows: rows.map((row) => (typeof row === 'string' ? Buffer.from(row, 'base64') : row)),
    scale: crispScale(shape.width),
  });
  const path = resolve(out);
  writeFileAtomic(path, png);
  return path;
}

function runIdArg(positionals: string[], command: string): number {
  const runId = number('run-id', positionals[0]);
  if (runId === undefined) throw new UserError('invalid_argument', `Say which run: ae-studio ${command} <run-id>`);
  return runId;
}

function embeddingArgs(runId: number, flags: Flags): LatentJobArgs {
  const epoch = number('epoch', flags.epoch);
  return {
    runId,
    split: (flags.split ?? 'test') as EmbeddingSplit,
    ...(epoch === undefined ? {} : { epoch }),
  };
}

function projectionSettings(flags: Flags): ProjectionSettings {
  const method = flags.method ?? 'tsne';
  if (method === 'pca') return { method: 'pca' };
  if (method === 'umap') {
    return {
      ...defaultUmapSettings,
      ...definedOnly({
        nNeighbors: number('neighbors', flags.neighbors),
        minDist: number('min-dist', flags['min-dist']),
        epochs: number('epochs', flags.epochs),
        seed: number('seed', flags.seed),
      }),
    };
  }
  if (method !== 'tsne') {
    throw new UserError('invalid_argument', `--method must be tsne, umap or pca, not "${method}".`);
  }
  return {
    ...defaultTsneSettings,
    ...definedOnly({
      perplexity: number('perplexity', flags.perplexity),
      iterations: number('iterations', flags.iterations),
      exaggeration: number('exaggeration', flags.exaggeration),
      seed: number('seed', flags.seed),
    }),
    ...(flags.lr === undefined ? {} : { learningRate: flags.lr === 'auto' ? 'auto' : number('lr', flags.lr)! }),
    ...(flags.init === undefined ? {} : { init: flags.init as TsneSettings['init'] }),
  };
}

function formatProjection(p: ProjectionSummary): string {
  const settings =
    p.settings.method === 'tsne'
      ? `t-SNE perplexity ${p.settings.perplexity}, ${p.settings.iterations} iterations, seed ${p.settings.seed}`
      : p.settings.method === 'umap'
        ? `UMAP ${p.settings.nNeighbors} neighbours, min dist ${p.settings.minDist}, seed ${p.settings.seed}`
        : `PCA, explained variance ${(p.explainedVariance ?? []).map((v) => `${(v * 100).toFixed(1)}%`).join(' + ')}`;
  return `Map #${p.id}: ${p.count} ${p.split === 'all' ? '' : `${p.split} `}images at epoch ${p.epoch}, ${settings} (${formatDuration(p.elapsedMs)})`;
}

async function runCommand(command: string, positionals: string[], flags: Flags, out: Output): Promise<number> {
  const dataDir = resolveDataDir(flags['data-dir']);
  const services = openServices({ dataDir, spawnWorker: spawnNodeWorker, resumeQueue: command === 'serve' });
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
      case 'dataset': {
        const datasetId = number('dataset id', positionals[0]);
        if (datasetId === undefined)
          throw new UserError('invalid_argument', 'Say which dataset: ae-studio dataset <id>');
        return await showDataset(handlers, out, datasetId, flags.report);
      }
      case 'import': {
        const [path] = positionals;
        if (!path) throw new UserError('invalid_argument', 'Say which folder to import: ae-studio import <folder>');
        const channels = number('channels', flags.channels);
        const split = flags['test-split'];
        const { jobId } = await call(handlers, 'datasets:import', {
          path,
          ...(flags.name === undefined ? {} : { name: flags.name }),
          ...definedOnly({ size: number('size', flags.size), seed: number('seed', flags.seed) }),
          ...(channels === undefined ? {} : { channels: channels as 1 | 3 }),
          ...(flags.fit === undefined ? {} : { fit: flags.fit as ImageFit }),
          ...(flags.background === undefined ? {} : { background: flags.background }),
          ...(split === undefined ? {} : { testSplit: split === 'folders' ? 'folders' : number('test-split', split)! }),
          ...(flags.exclude === undefined ? {} : { exclude: flags.exclude }),
        });
        return await finishImport(services, handlers, out, jobId);
      }
      case 'import-builtin': {
        const [dataset] = positionals;
        if (!dataset)
          throw new UserError(
            'invalid_argument',
            'Say which set: ae-studio import-builtin <mnist|fashion-mnist|kmnist|cifar10>',
          );
        const { jobId } = await call(handlers, 'datasets:importBuiltin', {
          dataset: dataset as BuiltinDataset,
          ...(flags.from === undefined ? {} : { from: flags.from }),
          ...(flags.name === undefined ? {} : { name: flags.name }),
        });
        return await finishImport(services, handlers, out, jobId);
      }
      case 'runs': {
        const runs = await call(handlers, 'runs:list');
        out.result(runs, runs.map(formatRun).join('\n') || 'No runs yet. Start one with: ae-studio train');
        return 0;
      }
      case 'presets': {
        const datasetId = flags.dataset === undefined ? undefined : await resolveDatasetId(handlers, flags.dataset);
        const presets = await call(handlers, 'presets:list', datasetId === undefined ? {} : { datasetId });
        const planned = await Promise.all(
          presets.map(async (preset) => {
            const plan =
              datasetId === undefined
                ? null
                : await call(handlers, 'models:plan', { datasetId, config: preset.config });
            return {
              ...preset,
              summary: plan?.ok ? plan.summary : null,
              problem: plan && !plan.ok ? plan.problem : null,
            };
          }),
        );
        const text = planned
          .map((p) => {
            const size = p.summary
              ? `  ${p.summary.totalParams.toLocaleString('en-US')} params, code ${p.summary.latentSize}`
              : '';
            return `${p.id.padEnd(24)} ${p.name}${size}
${' '.repeat(25)}${p.origin}${p.problem ? `\n${' '.repeat(25)}Not for this dataset: ${p.problem}` : ''}`;
          })
          .join('\n');
        out.result(planned, text);
        return 0;
      }
      case 'train': {
        const { datasetId, config } = await configOfFlags(handlers, flags);
        const started = await call(handlers, 'training:start', {
          datasetId,
          config: config as TrainingConfig,
          ...(flags.name === undefined ? {} : { name: flags.name }),
        });
        out.progress(`Run ${started.id} queued: ${started.name}`);
        const run = await follow(services, handlers, out, started.id);
        out.result(run, formatRun(run));
        return run.status === 'completed' ? 0 : 1;
      }
      case 'run': {
        const runId = number('run-id', positionals[0]);
        if (runId === undefined)
          throw new UserError('invalid_argument', 'Say which run to show: ae-studio run <run-id>');
        const detail = await call(handlers, 'runs:get', { runId });
        const { batchLoss: _batchLoss, ...shown } = detail;
        const epochs = detail.epochMetrics
          .map(
            (m) =>
              `  epoch ${String(m.epoch).padStart(3)}  train ${m.trainLoss?.toFixed(5) ?? '-'}  test ${m.testLoss?.toFixed(5) ?? '-'}  ${formatDuration(m.elapsedMs)}`,
          )
          .join('\n');
        const model = detail.config.model;
        out.result(
          shown,
          `${formatRun(detail.run)}\n  ${detail.config.preset ?? 'custom'}: ${model.variant}, latent ${model.latent ?? 'feature maps'}, ` +
            `${detail.config.loss}, ${detail.config.optimizer} ${detail.config.learningRate}, batch ${detail.config.batchSize}, ` +
            `seed ${detail.config.seed}${detail.config.corruption ? `, noise ${detail.config.corruption.type} ${detail.config.corruption.level}` : ''}` +
            `${detail.run.engine ? `, engine ${detail.run.engine}` : ''}\n${epochs || '  no finished epochs yet'}`,
        );
        return 0;
      }
      case 'resume': {
        const runId = number('run-id', positionals[0]);
        if (runId === undefined)
          throw new UserError('invalid_argument', 'Say which run to resume: ae-studio resume <run-id>');
        await call(handlers, 'training:resume', { runId, ...(flags.cpu ? { onCpu: true } : {}) });
        const run = await follow(services, handlers, out, runId);
        out.result(run, formatRun(run));
        return run.status === 'completed' ? 0 : 1;
      }
      case 'embed': {
        const args = embeddingArgs(runIdArg(positionals, command), flags);
        const done = await finishLatentJob(services, out, args);
        const list = await call(handlers, 'latent:list', { runId: args.runId });
        const embedding = list.embeddings.find((e) => e.id === done.embeddingId)!;
        out.result(
          embedding,
          `Codes #${embedding.id}: ${embedding.count} ${embedding.split} images x ${embedding.dims} numbers, epoch ${embedding.epoch}`,
        );
        return 0;
      }
      case 'project': {
        const args = { ...embeddingArgs(runIdArg(positionals, command), flags), projection: projectionSettings(flags) };
        const done = await finishLatentJob(services, out, args);
        const list = await call(handlers, 'latent:list', { runId: args.runId });
        const projection = list.projections.find((p) => p.id === done.projectionId)!;
        out.result(projection, formatProjection(projection));
        return 0;
      }
      case 'export-csv': {
        const runId = runIdArg(positionals, command);
        if (!flags.out) throw new UserError('invalid_argument', 'Say where to write it: --out <file.csv>');
        const wanted = number('projection', flags.projection);
        const { projections } = await call(handlers, 'latent:list', { runId });
        const projection = wanted === undefined ? projections[0] : projections.find((p) => p.id === wanted);
        if (!projection) {
          throw new UserError(
            'not_found',
            wanted === undefined
              ? `Run ${runId} has no map yet. Make one with: ae-studio project ${runId}`
              : `Run ${runId} has no map #${wanted}. Its maps: ${projections.map((p) => p.id).join(', ') || 'none'}.`,
          );
        }
        const csv = await call(handlers, 'latent:csv', {
          projectionId: projection.id,
          latent: flags['latent-columns'],
        });
        writeFileAtomic(resolve(flags.out), Buffer.from(csv.csv, 'utf8'));
        out.result(
          { path: resolve(flags.out), rows: csv.rows, projectionId: projection.id },
          `Wrote ${csv.rows} rows to ${resolve(flags.out)}`,
        );
        return 0;
      }
      case 'search': {
        const args = embeddingArgs(runIdArg(positionals, command), flags);
        const index = number('index', flags.index);
        if ((index === undefined) === (flags.image === undefined)) {
          throw new UserError('invalid_argument', 'Say which image to search from: --index <i> or --image <file>');
        }
        const done = await finishLatentJob(services, out, args);
        const result = await call(handlers, 'latent:search', {
          embeddingId: done.embeddingId!,
          ...(flags.image === undefined ? { index } : { image: { from: 'file', path: resolve(flags.image) } }),
          k: number('k', flags.k) ?? 10,
          metric: (flags.metric ?? 'l2') as DistanceMetric,
        });
        const run = (await call(handlers, 'runs:list')).find((r) => r.id === args.runId)!;
        const images = await call(handlers, 'datasets:imagesAt', {
          datasetId: run.datasetId,
          cacheIndices: [
            ...(result.query.cacheIndex === null ? [] : [result.query.cacheIndex]),
            ...result.matches.map((m) => m.cacheIndex),
          ],
        });
        const query = result.query.cacheIndex === null ? null : images.images[0];
        const matches = query ? images.images.slice(1) : images.images;
        const shown = {
          ...result,
          query: { ...result.query, fileName: query?.fileName ?? result.query.fileName, label: query?.label ?? null },
          matches: result.matches.map((m, i) => ({ ...m, fileName: matches[i].fileName, label: matches[i].label })),
        };
        out.result(
          shown,
          `Nearest to ${shown.query.fileName} (${result.metric}, ${result.elapsedMs.toFixed(1)} ms):\n` +
            shown.matches.map((m, i) => `  ${i + 1}. ${m.fileName}  ${m.distance.toPrecision(4)}`).join('\n'),
        );
        return 0;
      }
      case 'reconstruct': {
        const runId = runIdArg(positionals, command);
        const epoch = number('epoch', flags.epoch);
        const images: EvalImages = flags.image
          ? { from: 'file', path: resolve(flags.image) }
          : {
              from: 'split',
              split: (flags.split ?? 'test') as Split,
              order: (flags.order ?? 'first') as 'first',
              count: number('n', flags.n) ?? 10,
              ...definedOnly({ seed: number('seed', flags.seed) }),
            };
        const result = await call(handlers, 'results:reconstruct', {
          runId,
          ...definedOnly({ epoch }),
          images,
          corruption: flags.noise === undefined ? null : parseNoise(flags.noise),
          ...definedOnly({ seed: number('seed', flags.seed) }),
        });
        const rows = [result.originals, ...(result.inputs ? [result.inputs] : []), result.reconstructions];
        const written = flags.out ? await writeGrid(flags.out, result, rows) : null;
        const { originals: _o, inputs: _i, reconstructions: _r, ...numbers } = result;
        out.result(
          { ...numbers, png: written },
          `Run ${runId}, epoch ${result.epoch}: mean squared error ${result.meanMse.toPrecision(4)} over ${result.items.length} image${result.items.length === 1 ? '' : 's'}\n` +
            result.items
              .map((item) => `  ${item.mse.toFixed(5)}  ${item.labelName.padEnd(12)} ${item.fileName}`)
              .join('\n') +
            (written
              ? `\nWrote ${written} (${rows.length === 3 ? 'originals, corrupted inputs, outputs' : 'originals above reconstructions'})`
              : ''),
        );
        return 0;
      }
      case 'generate': {
        const runId = runIdArg(positionals, command);
        const result = await call(handlers, 'results:decode', {
          runId,
          ...definedOnly({ epoch: number('epoch', flags.epoch) }),
          recipe: { kind: 'random', count: number('n', flags.n) ?? 16, seed: number('seed', flags.seed) ?? 1 },
        });
        const perRow = Math.ceil(Math.sqrt(result.count));
        const pixels = Buffer.from(result.images, 'base64');
        const size = result.width * result.height * result.channels;
        const rows = Array.from({ length: Math.ceil(result.count / perRow) }, (_, r) =>
          pixels.subarray(r * perRow * size, Math.min(result.count, (r + 1) * perRow) * size),
        );
        const written = flags.out ? await writeGrid(flags.out, result, rows) : null;
        const codes = new Float32Array(Buffer.from(result.codes, 'base64').buffer.slice(0));
        out.result(
          {
            runId,
            epoch: result.epoch,
            count: result.count,
            dims: result.dims,
            codes: Array.from({ length: result.count }, (_, i) =>
              Array.from(codes.subarray(i * result.dims, (i + 1) * result.dims)),
            ),
            png: written,
          },
          `Decoded ${result.count} random codes of ${result.dims} numbers (run ${runId}, epoch ${result.epoch})` +
            (written ? `\nWrote ${written}` : '\nAdd --out <file.png> to save them as an image.'),
        );
        return 0;
      }
      case 'sweep': {
        const { datasetId, config } = await configOfFlags(handlers, flags);
        const sweep = await call(handlers, 'sweeps:start', {
          datasetId,
          config: config as TrainingConfig,
          axes: (flags.vary ?? []).map(parseVary),
          ...(flags.name === undefined ? {} : { name: flags.name }),
        });
        out.progress(`Sweep ${sweep.id} queued ${sweep.runs.length} runs: ${sweep.name}`);
        return await followSweep(services, handlers, out, sweep.id);
      }
      case 'resume-sweep': {
        const sweepId = number('sweep-id', positionals[0]);
        if (sweepId === undefined)
          throw new UserError('invalid_argument', 'Say which sweep: ae-studio resume-sweep <id>');
        getSweepSummary(services.db, sweepId); // a sweep that does not exist is reported now
        const resumed = resumeUnfinished(services.db, services.supervisor, sweepId);
        out.progress(`Sweep ${sweepId}: ${resumed.length} run${resumed.length === 1 ? '' : 's'} to go.`);
        return await followSweep(services, handlers, out, sweepId);
      }
      case 'sweeps': {
        const sweeps = await call(handlers, 'sweeps:list');
        out.result(sweeps, sweeps.map(formatSweep).join('\n\n') || 'No sweeps yet. Start one with: ae-studio sweep');
        return 0;
      }
      case 'projects': {
        const open = number('open', flags.open);
        const list =
          flags.new !== undefined
            ? await call(handlers, 'projects:create', { name: flags.new })
            : open !== undefined
              ? await call(handlers, 'projects:open', { projectId: open })
              : await call(handlers, 'projects:list');
        out.result(
          list,
          list.projects
            .map(
              (p) =>
                `${p.id === list.current ? '*' : ' '} #${p.id}  ${p.name}  (${p.datasets} datasets, ${p.runs} runs, ${p.sweeps} sweeps)`,
            )
            .join('\n'),
        );
        return 0;
      }
      case 'compare': {
        const runIds = positionals.map((p) => number('run-id', p)!);
        if (runIds.length === 0) throw new UserError('invalid_argument', 'Say which runs: ae-studio compare <run-id>…');
        const comparison = await call(handlers, 'runs:compare', { runIds });
        out.result(comparison, formatComparison(comparison));
        return 0;
      }
      case 'export-run': {
        const runId = runIdArg(positionals, command);
        if (!flags.out) throw new UserError('invalid_argument', 'Say where to write it: --out <folder>');
        const exported = await call(handlers, 'runs:export', { runId, dir: resolve(flags.out) });
        out.result(exported, `Wrote run ${runId} to ${exported.path} (${exported.files.length} files)`);
        return 0;
      }
      case 'import-run': {
        if (!positionals[0]) throw new UserError('invalid_argument', 'Say which folder: ae-studio import-run <folder>');
        const run = await call(handlers, 'runs:import', { dir: resolve(positionals[0]) });
        out.result(run, `Imported as run ${run.id}: ${formatRun(run)}`);
        return 0;
      }
      case 'label': {
        const runId = runIdArg(positionals, command);
        const run = await call(handlers, 'runs:update', {
          runId,
          ...(flags.name === undefined ? {} : { name: flags.name }),
          ...(flags.notes === undefined ? {} : { notes: flags.notes }),
          ...(flags.tag === undefined ? {} : { tags: flags.tag }),
        });
        out.result(run, `${formatRun(run)}${run.tags.length ? `\n      tags: ${run.tags.join(', ')}` : ''}`);
        return 0;
      }
      case 'delete-run': {
        const runId = runIdArg(positionals, command);
        await call(handlers, 'runs:delete', { runId });
        out.result({ deleted: runId }, `Deleted run ${runId} and its files.`);
        return 0;
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
    // export-csv's --latent is a switch, while train's --latent takes a size.
    const args = argv.includes('export-csv') ? argv.map((a) => (a === '--latent' ? '--latent-columns' : a)) : argv;
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
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
