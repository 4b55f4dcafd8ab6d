/**
 * The one API contract between the main process (or the browser-mode server) and the renderer: channel names and
 * the types that cross them, one file per domain. Types only (plus the channel objects), so main, preload and renderer
 * can all import it. Arguments are validated at run time by the schemas in host/schemas.ts; `satisfies` there keeps
 * both in step.
 */
import { commonChannels, commonEventChannels, type CommonEvents, type CommonMethods } from './common';
import { datasetsChannels, datasetsEventChannels, type DatasetsEvents, type DatasetsMethods } from './datasets';
import { modelsChannels, type ModelsMethods } from './models';
import { runsChannels, runsEventChannels, type RunsEvents, type RunsMethods } from './runs';
import { latentChannels, latentEventChannels, type LatentEvents, type LatentMethods } from './latent';
import { resultsChannels, resultsEventChannels, type ResultsEvents, type ResultsMethods } from './results';
import { experimentsChannels, type ExperimentsMethods } from './experiments';

export * from './common';
export * from './datasets';
export * from './models';
export * from './runs';
export * from './latent';
export * from './results';
export * from './experiments';

/** Request channels: argument type and result type. */
export interface ApiMethods
  extends
    CommonMethods,
    DatasetsMethods,
    ModelsMethods,
    RunsMethods,
    LatentMethods,
    ResultsMethods,
    ExperimentsMethods {}

/** Event channels pushed from main to the renderer. */
export interface ApiEvents extends CommonEvents, DatasetsEvents, RunsEvents, LatentEvents, ResultsEvents {}

export type MethodChannel = keyof ApiMethods;
export type EventChannel = keyof ApiEvents;

export const methodChannels = Object.keys({
  ...commonChannels,
  ...datasetsChannels,
  ...modelsChannels,
  ...runsChannels,
  ...latentChannels,
  ...resultsChannels,
  ...experimentsChannels,
} satisfies Record<MethodChannel, true>) as MethodChannel[];

export const eventChannels = Object.keys({
  ...commonEventChannels,
  ...datasetsEventChannels,
  ...runsEventChannels,
  ...latentEventChannels,
  ...resultsEventChannels,
} satisfies Record<EventChannel, true>) as EventChannel[];
