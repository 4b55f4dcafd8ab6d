import type {
  ApiError,
  AppInfo,
  DatasetSummary,
  EngineStatus,
  ImportProgress,
  ProjectList,
  Result,
  RunSummary,
  TrainingProgress,
} from '../../src-main/api/contract';
import { api } from '../lib/api.svelte';
import { keepUnchanged } from '../lib/merge-list';
import { RunsList } from './runs-list.svelte';
import { trainDraft } from './train-draft.svelte';

export type Section = 'datasets' | 'train' | 'runs' | 'results' | 'latent';

interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

/** How long a confirmation stays up; problems stay until dismissed or the user moves on. */
const infoShownMs = 8000;
/** Where the sidebar's state is kept, so the window reopens as the user left it. */
const sidebarKey = 'autoencoder-studio.sidebar-collapsed';

function readFlag(key: string): boolean {
  try {
    return localStorage.getItem(key) === 'true';
  } catch {
    return false;
  }
}

const sections: readonly Section[] = ['datasets', 'train', 'runs', 'results', 'latent'];

/**
 * The section the address names (`#/results`), so a reload, Back and Forward, and a bookmark open that page; the
 * Datasets page without one.
 */
export function sectionInAddress(): Section {
  if (typeof location === 'undefined') return 'datasets';
  const named = location.hash.replace(/^#\/?/, '') as Section;
  return sections.includes(named) ? named : 'datasets';
}

/** What every screen shares: the store's lists, live training progress, and problems to show the user. */
class AppState {
  #section = $state<Section>(sectionInAddress());
  loaded = $state(false);
  info = $state.raw<AppInfo | null>(null);
  engine = $state.raw<EngineStatus | null>(null);
  engineProblem = $state<string | null>(null);
  /** The projects and the open one; the lists below are the open project's. */
  projects = $state.raw<ProjectList | null>(null);
  /** Counts changes other processes made to the store; views with lists of their own reload when it moves. */
  /** Counts changes to latent codes and maps, for the map view to refetch its run's. */
  latentVersion = $state(0);
  datasets = $state.raw<DatasetSummary[]>([]);
  /** The open project's runs, kept current as the store changes. */
  readonly runList = new RunsList(api, (error) => this.report(error));
  get runs(): RunSummary[] {
    return this.runList.runs;
  }
  /** Latest progress per run id, for runs that reported since the window opened. */
  progress = $state.raw<Record<number, TrainingProgress>>({});
  /** The run shown in Train (the one just started) and Runs (the one clicked). */
  selectedRunId = $state<number | null>(null);
  /**
   * The one banner on screen. A new message replaces the last (banners never pile up), and it belongs to the page it
   * was raised on: moving to another section dismisses it.
   */
  notice = $state.raw<Notice | null>(null);
  /** The sidebar shrunk to icons, for a small window. */
  sidebarCollapsed = $state(readFlag(sidebarKey));
  /** The keyboard-shortcut help (`?`) is open. */
  shortcutsOpen = $state(false);
  /** Images picked elsewhere (a box on the latent map) for the Results section to reconstruct. */
  resultsPick = $state.raw<{ runId: number; cacheIndices: number[] } | null>(null);
  /** The import in progress (or the last one), for the Datasets page and the status bar. */
  importProgress = $state.raw<ImportProgress | null>(null);

  activeRun = $derived(
    this.runs.find((run) => run.status === 'running' || run.status === 'paused') ??
      this.runs.find((run) => run.status === 'queued'),
  );

  private nextNoticeId = 1;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  get section(): Section {
    return this.#section;
  }

  set section(section: Section) {
    if (section !== this.#section) this.dismiss();
    this.#section = section;
    // Not when the address already says it (Back and Forward land here, and must not add a step).
    if (typeof location !== 'undefined' && sectionInAddress() !== section) history.pushState(null, '', `#/${section}`);
  }

  async load(): Promise<void> {
    api.on('training:progress', (progress) => this.onProgress(progress));
    api.on('import:progress', (progress) => this.onImportProgress(progress));
    // Something changed the store (training, a CLI command, another window): fetch only what it names.
    this.runList.follow();
    api.on('datasets:changed', () => void this.refreshDatasets());
    api.on('latent:changed', () => this.latentChanged());
    api.on('projects:changed', () => void this.onProjectsChanged());
    const [info, datasets, runs, projects, current] = await Promise.all([
      api.app.info(),
      api.datasets.list(),
      api.runs.list(),
      api.projects.list(),
      api.training.current(),
    ]);
    // A run training (or paused) before this window opened: start from its last report, not from zero.
    if (current.ok) this.progress = Object.fromEntries(current.value.map((progress) => [progress.runId, progress]));
    this.info = this.unwrap(info) ?? null;
    this.projects = this.unwrap(projects) ?? null;
    this.datasets = this.unwrap(datasets) ?? [];
    this.runList.runs = this.unwrap(runs) ?? [];
    // Open on the run that is training (or paused), else the newest.
    this.selectedRunId = this.activeRun?.id ?? this.runs[0]?.id ?? null;
    this.loaded = true;
    // The engine probe starts a process and loads tfjs: let the window show first.
    const engine = await api.engine.status();
    if (engine.ok) this.engine = engine.value;
    else this.engineProblem = engine.error.message;
  }

  /** Opens a project (or creates and opens one): the lists switch to its datasets and runs. */
  async switchProject(change: { open: number } | { create: string }): Promise<boolean> {
    const result =
      'open' in change
        ? await api.projects.open({ projectId: change.open })
        : await api.projects.create({ name: change.create });
    const projects = this.unwrap(result);
    if (!projects) return false;
    this.projects = projects;
    this.resultsPick = null;
    // The Train screen picks one of the new project's datasets.
    trainDraft.datasetId = undefined;
    await Promise.all([this.refreshDatasets(), this.refreshRuns()]);
    this.selectedRunId = this.runs[0]?.id ?? null;
    return true;
  }

  async renameProject(projectId: number, name: string): Promise<void> {
    const projects = this.unwrap(await api.projects.rename({ projectId, name }));
    if (projects) this.projects = projects;
  }

  private async onProjectsChanged(): Promise<void> {
    this.latentChanged();
    const projects = await api.projects.list();
    if (projects.ok && JSON.stringify(projects.value) !== JSON.stringify(this.projects)) this.projects = projects.value;
    await Promise.all([this.refreshDatasets(), this.refreshRuns()]);
  }

  /** Codes or maps were made or deleted: the map view's lists follow (it asks only for its run's). */
  private latentChanged(): void {
    this.latentVersion++;
  }

  /** Fetches the runs again: all of them, or only `ids` (a change event's), merged into the list. */
  refreshRuns(ids: number[] | null = null): Promise<void> {
    return this.runList.refresh(ids);
  }

  async refreshDatasets(): Promise<void> {
    const datasets = this.unwrap(await api.datasets.list());
    if (datasets) this.datasets = keepUnchanged(this.datasets, datasets);
  }

  /** Returns the value of a successful call; shows the error of a failed one and returns undefined. */
  unwrap<T>(result: Result<T>): T | undefined {
    if (result.ok) return result.value;
    // The user asked for it: say so, not as a problem.
    if (result.error.code === 'cancelled') this.inform(result.error.message);
    else this.report(result.error);
    return undefined;
  }

  report(error: ApiError | string): void {
    this.show('error', typeof error === 'string' ? error : error.message);
  }

  inform(message: string): void {
    this.show('info', message);
  }

  toggleSidebar(): void {
    this.sidebarCollapsed = !this.sidebarCollapsed;
    try {
      localStorage.setItem(sidebarKey, String(this.sidebarCollapsed));
    } catch {
      // Storage off or full: the choice lasts for this window.
    }
  }

  dismiss(): void {
    clearTimeout(this.noticeTimer);
    this.notice = null;
  }

  private show(kind: Notice['kind'], message: string): void {
    this.dismiss();
    const notice = { id: this.nextNoticeId++, kind, message };
    this.notice = notice;
    if (kind === 'info') this.noticeTimer = setTimeout(() => this.notice === notice && this.dismiss(), infoShownMs);
  }

  private onImportProgress(progress: ImportProgress): void {
    this.importProgress = progress;
    if (progress.status === 'completed') {
      const skipped = progress.skipped ? `; ${progress.skipped} skipped (see its import report)` : '';
      this.inform(`Imported ${progress.done.toLocaleString('en-US')} images${skipped}.`);
      void this.refreshDatasets();
    } else if (progress.status === 'failed') {
      this.report(`The import failed: ${progress.error ?? 'unknown error'}`);
    } else if (progress.status === 'cancelled') {
      this.inform('The import was cancelled; nothing was saved.');
    }
  }

  private onProgress(progress: TrainingProgress): void {
    const previous = this.progress[progress.runId];
    this.progress = { ...this.progress, [progress.runId]: progress };
    const statusChanged = this.runs.find((run) => run.id === progress.runId)?.status !== progress.status;
    if (statusChanged || previous?.epoch !== progress.epoch || progress.phase === 'finished')
      void this.refreshRuns([progress.runId]);
  }
}

export const appState = new AppState();
