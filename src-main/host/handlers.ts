import { ZodError } from 'zod';
import type { ApiEvents, ApiMethods, AppInfo, ChangedIds, EventChannel, MethodChannel, Result } from '../api/contract';
import { methodChannels } from '../api/contract';
import { argumentSchemas } from './schemas';
import { describeIssue, wordsForIssue } from './describe-issue';
import { UserError } from '../api/errors';
import { explainStorageError } from '../app/storage-errors';
import type { Services } from './services';
import {
  deleteDatasetById,
  getImportReport,
  listDatasetSummaries,
  refuseRepeatedImport,
  readImagePage,
  readImagesAt,
  renameDatasetById,
} from '../datasets/dataset-catalog';
import { importImageFolder } from '../datasets/folder-import';
import {
  deleteRun,
  freeRunSpace,
  listRunDiskUse,
  pauseTraining,
  resumeTraining,
  startTraining,
  stopTraining,
  updateRun,
} from '../runs/run-commands';
import { compareRuns } from '../runs/run-compare';
import { listCodeProbes, saveCodeProbe } from '../store/code-probes';
import { requireRun } from '../runs/run-summaries';
import { getRunDetail, readReconstructionGallery } from '../runs/run-detail';
import { augmentPreview, planForDataset, presetsFor } from '../runs/train-setup';
import { exportRun, importRun } from '../experiments/run-export';
import { runsCsv } from '../experiments/runs-csv';
import { exportRunForPython } from '../experiments/python-export/python-export';
import { listSweepSummaries, resumeSweep, startSweep } from '../experiments/sweeps';
import { labLink, sweepOnHub } from '../lab/hub-link';
import { createProject, listProjects, openProject, renameProject } from '../experiments/projects';
import { builtinDatasets, builtinSourceDir, importBuiltin } from '../datasets/builtin-import';
import { requireFolder } from '../datasets/folder-scan';
import {
  requireEmbedding,
  exportProjectionCsv,
  listLatent,
  readLatentMap,
  sampleCodes,
  searchSimilar,
} from '../latent/latent-service';

type Implementations = {
  [C in MethodChannel]: (args: ApiMethods[C]['args']) => ApiMethods[C]['result'] | Promise<ApiMethods[C]['result']>;
};

export interface ApiHandlers {
  invoke(channel: string, arg: unknown): Promise<Result<unknown>>;
  subscribe<E extends EventChannel>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

function isMethodChannel(channel: string): channel is MethodChannel {
  return (methodChannels as readonly string[]).includes(channel);
}

/** What only the host (Electron or browser mode) can do. */
export interface HostFeatures {
  /** A native folder picker; browser mode has none, the user types a path. */
  chooseFolder?: () => Promise<string | null>;
}

/**
 * The API behind every transport: validates each argument against its schema, runs the service, and turns every
 * failure into `{ ok: false, error }` so nothing is thrown across a process boundary.
 */
export function createApiHandlers(
  services: Services,
  app: Omit<AppInfo, 'dataDir'>,
  host: HostFeatures = {},
): ApiHandlers {
  const { db, dataDir, supervisor, imports, latent, evaluation } = services;
  const implementations: Implementations = {
    'app:info': () => ({ ...app, dataDir: services.shownDataDir }),
    'engine:status': () => supervisor.engine(),
    'datasets:list': () => listDatasetSummaries(db),
    'datasets:images': (query) => readImagePage(db, dataDir, query),
    'datasets:import': async (args) => {
      await requireFolder(args.path);
      refuseRepeatedImport(db, args);
      return { jobId: imports.start(`Importing ${args.path}`, (ctx) => importImageFolder(ctx, args)) };
    },
    'datasets:importBuiltin': (args) => {
      builtinSourceDir(args); // a missing folder is reported now, not after the job starts
      return {
        jobId: imports.start(`Importing ${builtinDatasets[args.dataset].title}`, (ctx) => importBuiltin(ctx, args)),
      };
    },
    'datasets:cancelImport': ({ jobId }) => {
      imports.cancel(jobId);
      return null;
    },
    'datasets:report': ({ datasetId }) => getImportReport(db, datasetId),
    'datasets:rename': ({ datasetId, name }) => renameDatasetById(db, datasetId, name),
    'datasets:delete': ({ datasetId }) => {
      deleteDatasetById(db, dataDir, datasetId);
      return null;
    },
    'app:chooseFolder': () => {
      if (!host.chooseFolder)
        throw new UserError('unsupported', 'Type the folder path: browser mode cannot open a folder picker.');
      return host.chooseFolder();
    },
    'presets:list': (query) => presetsFor(db, query),
    'models:plan': (query) => planForDataset(db, query),
    'models:augmentPreview': (query) => augmentPreview(db, dataDir, query),
    'training:start': (args) => startTraining(db, supervisor, args),
    'training:pause': ({ runId }) => pauseTraining(db, supervisor, runId),
    'training:stop': ({ runId }) => stopTraining(db, supervisor, runId),
    'training:resume': ({ runId, onCpu }) => resumeTraining(db, supervisor, runId, { onCpu }),
    'training:current': () => supervisor.currentProgress(),
    'runs:list': (query) => services.runSummaries.list(query?.ids ?? undefined),
    'runs:get': ({ runId }) => getRunDetail(db, runId, supervisor),
    'runs:reconstructions': (query) => readReconstructionGallery(db, dataDir, query),
    'datasets:imagesAt': (query) => readImagesAt(db, dataDir, query),
    'latent:start': (args) => ({ jobId: latent.start(args) }),
    'latent:cancel': ({ jobId }) => {
      latent.cancel(jobId);
      return null;
    },
    'latent:list': ({ runId }) => listLatent(db, runId),
    'latent:map': ({ projectionId }) => readLatentMap(db, dataDir, projectionId),
    'latent:search': async (query) => {
      if (!query.image) return searchSimilar(db, dataDir, query);
      // A file is first encoded, in the results worker, by the checkpoint that made the codes.
      const embedding = requireEmbedding(db, query.embeddingId);
      const encoded = await evaluation.request('encode', {
        runId: embedding.runId,
        epoch: embedding.epoch,
        images: query.image,
      });
      const code = Float32Array.from(encoded.codes[0]);
      return searchSimilar(db, dataDir, query, { code, fileName: encoded.items[0].fileName });
    },
    'latent:sample': (query) => sampleCodes(db, dataDir, query),
    'latent:csv': (args) => exportProjectionCsv(db, dataDir, args),
    'results:model': (args) => evaluation.request('results:model', args),
    'results:reconstruct': (args) => evaluation.request('results:reconstruct', args),
    'results:errors': (args) => evaluation.request('results:errors', args),
    'results:pca': (args) => evaluation.request('results:pca', args),
    'results:filters': (args) => evaluation.request('results:filters', args),
    'results:activations': (args) => evaluation.request('results:activations', args),
    'results:decode': (args) => evaluation.request('results:decode', args),
    'results:probe': async (args) => {
      const probe = await evaluation.request('results:probe', args);
      saveCodeProbe(db, probe.runId, probe);
      return probe;
    },
    'results:probes': ({ runId }) => {
      requireRun(db, runId);
      return listCodeProbes(db, runId);
    },
    'results:anomaly': (args) => evaluation.request('results:anomaly', args),
    'results:cancel': ({ requestId }) => {
      evaluation.cancel(requestId);
      return null;
    },
    'runs:update': (labels) => updateRun(db, supervisor, labels),
    'runs:delete': ({ runId }) => {
      deleteRun(db, dataDir, supervisor, runId);
      return null;
    },
    'runs:diskUse': () => listRunDiskUse(db, dataDir),
    'runs:freeSpace': ({ runId }) => freeRunSpace(db, dataDir, supervisor, runId),
    'runs:compare': ({ runIds }) => compareRuns(db, supervisor, runIds),
    'runs:export': (args) =>
      args.format === 'pytorch'
        ? exportRunForPython(db, dataDir, args, (query) => evaluation.request('results:reconstruct', query))
        : exportRun(db, dataDir, args),
    'runs:import': ({ dir, again }) => importRun(db, dataDir, supervisor, dir, { again }),
    'runs:csv': (args) => runsCsv(db, args),
    'sweeps:start': (args) => startSweep(db, supervisor, args),
    'sweeps:list': () => listSweepSummaries(db),
    'sweeps:resume': ({ sweepId }) => resumeSweep(db, supervisor, sweepId),
    'lab:status': () => labLink(services.shownDataDir),
    'lab:sweep': (args) => sweepOnHub(services.shownDataDir, args),
    'projects:list': () => listProjects(db),
    'projects:create': ({ name }) => createProject(db, name),
    'projects:open': ({ projectId }) => openProject(db, projectId),
    'projects:rename': ({ projectId, name }) => renameProject(db, projectId, name),
  };

  async function invoke(channel: string, arg: unknown): Promise<Result<unknown>> {
    if (!isMethodChannel(channel)) {
      return { ok: false, error: { code: 'invalid_argument', message: `Unknown request "${String(channel)}".` } };
    }
    const parsed = parseArgument(channel, arg);
    if (!parsed.ok) return parsed;
    try {
      const run = implementations[channel] as (args: unknown) => unknown;
      return { ok: true, value: await run(parsed.value) };
    } catch (err) {
      return { ok: false, error: toApiError(channel, explainStorageError(err, services.shownDataDir)) };
    }
  }

  return {
    invoke,
    subscribe(event, listener) {
      switch (event) {
        case 'training:progress':
          return supervisor.onProgress(listener as (payload: ApiEvents['training:progress']) => void);
        case 'import:progress':
          return imports.onProgress(listener as (payload: ApiEvents['import:progress']) => void);
        case 'latent:progress':
          return latent.onProgress(listener as (payload: ApiEvents['latent:progress']) => void);
        case 'results:progress':
          return evaluation.onProgress(listener as (payload: ApiEvents['results:progress']) => void);
        case 'runs:changed':
        case 'datasets:changed':
        case 'sweeps:changed':
        case 'latent:changed': {
          const kind = changeKinds[event as keyof typeof changeKinds];
          const tell = listener as (payload: ChangedIds) => void;
          return services.onStoreChange((changes) => {
            const ids = changes[kind];
            if (ids === null || ids.length > 0) tell({ ids });
          });
        }
        case 'projects:changed': {
          const tell = listener as (payload: ApiEvents['projects:changed']) => void;
          return services.onStoreChange((changes) => changes.projects && tell({ at: Date.now() }));
        }
        default:
          throw new Error(`Unknown event ${String(event)}`);
      }
    },
  };
}

/** Which part of a store change each event carries. */
const changeKinds = {
  'runs:changed': 'runs',
  'datasets:changed': 'datasets',
  'sweeps:changed': 'sweeps',
  'latent:changed': 'latent',
} as const;

/**
 * Checks a channel's argument as every request is checked: its schema, and the first problem in words. The lab hub
 * checks the sweeps it is sent with it too.
 */
export function parseArgument<C extends MethodChannel>(channel: C, arg: unknown): Result<ApiMethods[C]['args']> {
  const parsed = argumentSchemas[channel].safeParse(arg, { error: wordsForIssue });
  return parsed.success
    ? { ok: true, value: parsed.data as ApiMethods[C]['args'] }
    : { ok: false, error: describeIssue(parsed.error) };
}

function toApiError(channel: string, err: unknown) {
  if (err instanceof UserError) return { code: err.code, message: err.message };
  if (err instanceof ZodError) return describeIssue(err);
  // A bug, not a user mistake: keep the details in the log, give the user something to report.
  console.error(`[api] ${channel} failed:`, err);
  return {
    code: 'internal' as const,
    message: `Something went wrong (${channel}): ${(err as Error)?.message ?? String(err)}`,
  };
}
