import type { ModelSummary, Preset, TrainingConfig } from '../../src-main/api/contract';
import { api } from '../lib/api.svelte';

/** Waits this long after the last edit before asking main for the model summary. */
const planDelayMs = 150;
/** Where the draft is kept between windows (and app starts), so a reopened window carries on with it. */
const savedDraftKey = 'autoencoder-studio.train-draft';

interface SavedDraft {
  datasetId: number;
  presetId: string;
  config: TrainingConfig;
}

/**
 * The run being set up on the Train screen: dataset, preset and the editable config, with the model summary (or what
 * is wrong with the config) kept up to date as the user edits. Shared by the form and the model editor.
 */
class TrainDraft {
  datasetId = $state<number | undefined>(undefined);
  presetId = $state('small-conv');
  /** Presets adapted to the chosen dataset's image size. */
  presets = $state.raw<Preset[]>([]);
  config = $state<TrainingConfig | null>(null);
  summary = $state.raw<ModelSummary | null>(null);
  problem = $state<string | null>(null);
  /** The setting the problem is about ("config.batchSize"), for the form to mark; null for the model as a whole. */
  problemField = $state<string | null>(null);
  private planTimer: ReturnType<typeof setTimeout> | undefined;
  private planRequest = 0;

  get preset(): Preset | undefined {
    return this.presets.find((p) => p.id === this.presetId);
  }

  /** Loads the presets for a dataset and starts from the chosen one (edits to the previous config are dropped). */
  async chooseDataset(datasetId: number): Promise<void> {
    this.datasetId = datasetId;
    const result = await api.presets.list({ datasetId });
    if (!result.ok || this.datasetId !== datasetId) return;
    this.presets = result.value;
    if (!this.preset) this.presetId = this.presets[0]?.id ?? this.presetId;
    this.choosePreset(this.presetId);
  }

  choosePreset(presetId: string): void {
    this.presetId = presetId;
    const preset = this.preset;
    if (preset) this.config = structuredClone(preset.config);
  }

  /** Starts a new run from a given config (a run's, or a config file's) on a dataset. */
  async useConfig(datasetId: number, config: TrainingConfig): Promise<void> {
    this.datasetId = datasetId;
    const result = await api.presets.list({ datasetId });
    if (result.ok && this.datasetId === datasetId) this.presets = result.value;
    if (config.preset && this.presets.some((p) => p.id === config.preset)) this.presetId = config.preset;
    this.config = structuredClone(config);
  }

  setProblem(problem: { message: string; field?: string } | null): void {
    this.problem = problem?.message ?? null;
    this.problemField = problem?.field ?? null;
  }

  /** The problem's message when it is about this setting (a dot path as in ApiError.field). */
  problemAt(field: string): string | null {
    return this.problemField === field ? this.problem : null;
  }

  /** Keeps the draft for the next window; storage that is full or turned off only loses this convenience. */
  save(): void {
    if (this.datasetId === undefined || !this.config) return;
    const saved: SavedDraft = {
      datasetId: this.datasetId,
      presetId: this.presetId,
      config: $state.snapshot(this.config),
    };
    try {
      localStorage.setItem(savedDraftKey, JSON.stringify(saved));
    } catch {
      // Nothing to do: the draft still lives in this window.
    }
  }

  /**
   * Carries on with the draft the last window kept, when its dataset is among `datasetIds` (this project's). Returns
   * whether it did; the config is checked by the model summary like any edit.
   */
  restore(datasetIds: number[]): boolean {
    let saved: SavedDraft | null;
    try {
      saved = JSON.parse(localStorage.getItem(savedDraftKey) ?? 'null') as SavedDraft | null;
    } catch {
      return false;
    }
    if (!saved || !datasetIds.includes(saved.datasetId) || typeof saved.config !== 'object' || !saved.config)
      return false;
    const { datasetId, presetId, config } = saved;
    this.datasetId = datasetId;
    void this.useConfig(datasetId, config).then(() => {
      if (this.datasetId === datasetId) this.presetId = presetId;
    });
    return true;
  }

  /** Asks main for the summary of the current config, a moment after the last edit. */
  schedulePlan(): void {
    clearTimeout(this.planTimer);
    const datasetId = this.datasetId;
    const config = this.config && $state.snapshot(this.config);
    if (datasetId === undefined || !config) return;
    const request = ++this.planRequest;
    this.planTimer = setTimeout(async () => {
      const result = await api.models.plan({ datasetId, config: config as TrainingConfig });
      if (request !== this.planRequest) return;
      if (!result.ok) {
        this.summary = null;
        this.setProblem(result.error);
      } else if (result.value.ok) {
        this.summary = result.value.summary;
        this.setProblem(null);
      } else {
        this.summary = null;
        this.setProblem({ message: result.value.problem });
      }
    }, planDelayMs);
  }
}

export const trainDraft = new TrainDraft();
