import { ZodError } from 'zod';
import type { ApiEvents, ApiMethods, AppInfo, EventChannel, MethodChannel, Result } from './contract';
import { methodChannels } from './contract';
import { argumentSchemas, describeIssue } from './schemas';
import { UserError } from './errors';
import type { Services } from '../app/services';
import { listDatasetSummaries, readImagePage } from '../datasets/dataset-catalog';
import { presets } from '../training/training-config';
import {
  getRunDetail,
  listRunSummaries,
  readReconstructionGallery,
  resumeTraining,
  startTraining,
  stopTraining,
} from '../training/run-service';

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

/**
 * The API behind every transport: validates each argument against its schema, runs the service, and turns every
 * failure into `{ ok: false, error }` so nothing is thrown across a process boundary.
 */
export function createApiHandlers(services: Services, app: Omit<AppInfo, 'dataDir'>): ApiHandlers {
  const { db, dataDir, supervisor } = services;
  const implementations: Implementations = {
    'app:info': () => ({ ...app, dataDir }),
    'engine:status': () => supervisor.engine(),
    'datasets:list': () => listDatasetSummaries(db),
    'datasets:images': (query) => readImagePage(db, dataDir, query),
    'presets:list': () => presets.map((preset) => structuredClone(preset)),
    'training:start': (args) => startTraining(db, supervisor, args),
    'training:stop': ({ runId }) => stopTraining(db, supervisor, runId),
    'training:resume': ({ runId }) => resumeTraining(db, supervisor, runId),
    'runs:list': () => listRunSummaries(db),
    'runs:get': ({ runId }) => getRunDetail(db, runId),
    'runs:reconstructions': (query) => readReconstructionGallery(db, dataDir, query),
  };

  async function invoke(channel: string, arg: unknown): Promise<Result<unknown>> {
    if (!isMethodChannel(channel)) {
      return { ok: false, error: { code: 'invalid_argument', message: `Unknown request "${String(channel)}".` } };
    }
    const parsed = argumentSchemas[channel].safeParse(arg);
    if (!parsed.success)
      return { ok: false, error: { code: 'invalid_argument', message: describeIssue(parsed.error) } };
    try {
      const run = implementations[channel] as (args: unknown) => unknown;
      return { ok: true, value: await run(parsed.data) };
    } catch (err) {
      return { ok: false, error: toApiError(channel, err) };
    }
  }

  return {
    invoke,
    subscribe(event, listener) {
      // One event today; a switch keeps adding the next one obvious.
      switch (event) {
        case 'training:progress':
          return supervisor.onProgress(listener as (payload: ApiEvents['training:progress']) => void);
        default:
          throw new Error(`Unknown event ${String(event)}`);
      }
    },
  };
}

function toApiError(channel: string, err: unknown) {
  if (err instanceof UserError) return { code: err.code, message: err.message };
  if (err instanceof ZodError) return { code: 'invalid_argument' as const, message: describeIssue(err) };
  // A bug, not a user mistake: keep the details in the log, give the user something to report.
  console.error(`[api] ${channel} failed:`, err);
  return {
    code: 'internal' as const,
    message: `Something went wrong (${channel}): ${(err as Error)?.message ?? String(err)}`,
  };
}
