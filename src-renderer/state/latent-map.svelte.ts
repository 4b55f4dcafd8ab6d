import {
  defaultTsneSettings,
  defaultUmapSettings,
  type DistanceMetric,
  type EmbeddingSplit,
  type ImageSet,
  type LatentMap,
  type LatentProgress,
  type ProjectionSettings,
  type ProjectionSummary,
  type SimilarityResult,
} from '../../src-main/api/contract';
import { api } from '../lib/api.svelte';
import { decodeBase64 } from '../lib/base64';
import { download } from '../lib/download';
import { formatCount } from '../lib/format';
import { fileToUpload } from '../lib/upload';
import { appState } from './app-state.svelte';

/** A map's per-point arrays, decoded once from the API's base64. */
export interface DecodedMap {
  points: Float32Array;
  labels: Uint16Array;
  /** 0 training, 1 test. */
  splits: Uint8Array;
  cacheIndices: Int32Array;
  errors: Float32Array;
}

/** A map's arrays from the API's base64. */
export function decodeMap(map: LatentMap): DecodedMap {
  const view = (base64: string) => decodeBase64(base64).buffer;
  return {
    points: new Float32Array(view(map.points)),
    labels: new Uint16Array(view(map.labels)),
    splits: new Uint8Array(view(map.splits)),
    cacheIndices: new Int32Array(view(map.cacheIndices)),
    errors: new Float32Array(view(map.errors)),
  };
}

/** What the map's points can be coloured by. */
export type MapColouring = 'class' | 'split' | 'error';

/** The images nearest to a query: a point of the map, or an image file (shown from the file itself). */
export interface MapSearch {
  result: SimilarityResult;
  images: ImageSet;
  file: { source: File; url: string } | null;
}

export interface PairSample {
  values: Float32Array;
  labels: Uint16Array;
  dims: number;
  totalDims: number;
}

/** Images the pair plot draws, picked at random. */
const pairSampleSize = 2000;
/** A shift-drag selection shows this many of its images. */
export const selectionShown = 120;

/**
 * The Latent map's state and the work behind it: which run and map are open, the next map's settings, the job making
 * one, and what the user picked on it (a selection, a similarity search, the pair plot's dimensions). Choosing a run,
 * a map, a metric or a number of dimensions loads what it needs here, not in the view's effects.
 */
export class LatentMapState {
  // Settings of the next map, from the defaults the CLI uses too.
  split = $state<EmbeddingSplit>('test');
  /** The checkpoint to map: an epoch, or undefined for the run's latest. */
  epoch = $state<number | undefined>(undefined);
  /** Part of the split to map ('all', or e.g. 'random:500', 'per-class:50'), drawn with the map's seed. */
  sample = $state('all');
  method = $state<'tsne' | 'umap' | 'pca'>('tsne');
  nNeighbors = $state(defaultUmapSettings.nNeighbors);
  minDist = $state(defaultUmapSettings.minDist);
  perplexity = $state(defaultTsneSettings.perplexity);
  iterations = $state(defaultTsneSettings.iterations);
  seed = $state(defaultTsneSettings.seed);
  /** Empty means scikit-learn's "auto". */
  learningRate = $state<number | null>(null);
  exaggeration = $state(defaultTsneSettings.exaggeration);
  init = $state<'pca' | 'random'>(defaultTsneSettings.init);

  projections = $state.raw<ProjectionSummary[]>([]);
  map = $state.raw<LatentMap | null>(null);
  decoded = $state.raw<DecodedMap | null>(null);
  colourBy = $state<MapColouring>('class');
  /** Classes hidden in the legend; replaced whole (never mutated), so the map redraws once per change. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  hidden = $state.raw<ReadonlySet<number>>(new Set<number>());
  job = $state.raw<LatentProgress | null>(null);
  includeLatent = $state(false);
  pairs = $state.raw<PairSample | null>(null);
  selection = $state.raw<{ count: number; perClass: number[]; images: ImageSet } | null>(null);
  search = $state.raw<MapSearch | null>(null);
  searchError = $state<string | null>(null);

  #runId = $state<number | null>(null);
  #projectionId = $state<number | null>(null);
  #pairDims = $state(4);
  #metric = $state<DistanceMetric>('l2');

  get runId(): number | null {
    return this.#runId;
  }

  set runId(id: number | null) {
    if (id === this.#runId) return;
    this.#runId = id;
    this.epoch = undefined;
    void this.loadList();
  }

  get projectionId(): number | null {
    return this.#projectionId;
  }

  set projectionId(id: number | null) {
    this.#projectionId = id;
    void this.loadMap(id);
  }

  get pairDims(): number {
    return this.#pairDims;
  }

  set pairDims(dims: number) {
    this.#pairDims = dims;
    void this.loadPairs();
  }

  /** Searching again when the metric changes keeps the panel truthful. */
  get metric(): DistanceMetric {
    return this.#metric;
  }

  set metric(metric: DistanceMetric) {
    this.#metric = metric;
    const search = this.search;
    if (!search || search.result.metric === metric) return;
    if (search.file) void this.searchWithFile(search.file.source);
    else if (search.result.query.index !== null) void this.searchFrom(search.result.query.index);
  }

  /** Errors scaled to 0..1 between their 2nd and 98th percentiles, so a few outliers do not wash the scale out. */
  readonly errorScale = $derived.by(() => {
    if (!this.decoded) return null;
    const sorted = Float32Array.from(this.decoded.errors).sort();
    const low = sorted[Math.floor(sorted.length * 0.02)];
    const high = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.98))];
    const span = high - low || 1;
    return { low, high, shades: this.decoded.errors.map((e) => Math.min(1, Math.max(0, (e - low) / span))) };
  });

  /** Images per class on the open map. */
  readonly counts = $derived.by(() => {
    const out = new Array<number>(this.map?.classNames.length ?? 0).fill(0);
    if (this.decoded) for (const label of this.decoded.labels) out[label]++;
    return out;
  });

  /** Training and test images on the map. */
  readonly splitCounts = $derived.by(() => {
    const out = [0, 0];
    if (this.decoded) for (const split of this.decoded.splits) out[split]++;
    return out;
  });

  readonly running = $derived(this.job !== null && this.job.status === 'running');

  /** The run's maps; opens `keep` (a map just made) or the newest. */
  async loadList(keep?: number | null): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    const list = appState.unwrap(await api.latent.list({ runId }));
    if (!list || runId !== this.#runId) return;
    this.projections = list.projections;
    this.projectionId = keep ?? list.projections[0]?.id ?? null;
  }

  /** Reloads the run's maps (another window or the CLI may have made one), keeping the open one open. */
  async refreshList(): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    const list = await api.latent.list({ runId });
    if (!list.ok || runId !== this.#runId) return;
    this.projections = list.value.projections;
    if (this.projectionId === null) this.projectionId = list.value.projections[0]?.id ?? null;
  }

  private async loadMap(id: number | null): Promise<void> {
    this.search = null;
    if (id === null) {
      this.map = null;
      this.decoded = null;
      this.pairs = null;
      return;
    }
    const loaded = appState.unwrap(await api.latent.map({ projectionId: id }));
    if (!loaded || this.#projectionId !== id) return;
    this.map = loaded;
    this.decoded = decodeMap(loaded);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    this.hidden = new Set();
    await this.loadPairs();
  }

  private async loadPairs(): Promise<void> {
    const embeddingId = this.map?.projection.embeddingId;
    if (embeddingId === undefined) {
      this.pairs = null;
      return;
    }
    const dims = this.#pairDims;
    const sample = appState.unwrap(await api.latent.sample({ embeddingId, dims, count: pairSampleSize, seed: 0 }));
    if (!sample || this.map?.projection.embeddingId !== embeddingId) return;
    this.pairs = {
      values: new Float32Array(decodeBase64(sample.values).buffer),
      labels: new Uint16Array(decodeBase64(sample.labels).buffer),
      dims: sample.dims,
      totalDims: sample.totalDims,
    };
  }

  /** The next map's settings, as the API takes them. */
  private settings(): ProjectionSettings {
    if (this.method === 'pca') return { method: 'pca' };
    if (this.method === 'umap') {
      return { method: 'umap', nNeighbors: this.nNeighbors, minDist: this.minDist, epochs: 0, seed: this.seed };
    }
    return {
      method: 'tsne',
      perplexity: this.perplexity,
      iterations: this.iterations,
      learningRate: this.learningRate && this.learningRate > 0 ? this.learningRate : 'auto',
      exaggeration: this.exaggeration,
      init: this.init,
      seed: this.seed,
    };
  }

  async compute(): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    const epoch = this.epoch === undefined ? {} : { epoch: this.epoch };
    const [kind, count] = this.sample.split(':');
    const sample =
      this.sample === 'all'
        ? {}
        : {
            sample: {
              count: Number(count),
              perClass: kind === 'per-class',
              seed: this.method === 'pca' ? 1 : this.seed,
            },
          };
    const started = appState.unwrap(
      await api.latent.start({ runId, split: this.split, ...epoch, ...sample, projection: this.settings() }),
    );
    if (started) {
      this.job = {
        ...(this.job ?? emptyJob(runId)),
        jobId: started.jobId,
        status: 'running',
        phase: 'starting',
        done: 0,
        total: 0,
      };
    }
  }

  async cancel(): Promise<void> {
    if (this.job) appState.unwrap(await api.latent.cancel({ jobId: this.job.jobId }));
  }

  /** A `latent:progress` event: the open run's jobs (and the one started here) update the progress line. */
  onProgress(progress: LatentProgress): void {
    if (progress.runId !== this.#runId && this.job?.jobId !== progress.jobId) return;
    this.job = progress;
    if (progress.status === 'completed') void this.loadList(progress.projectionId);
    else if (progress.status === 'failed') appState.report(progress.error ?? 'Making the map failed.');
  }

  /** Shift-drag on the map: the images in the box, shown as a gallery (the first `selectionShown`). */
  async select(indices: number[]): Promise<void> {
    const { map, decoded } = this;
    if (!map || !decoded) return;
    if (indices.length === 0) {
      this.selection = null;
      return;
    }
    const perClass = new Array<number>(map.classNames.length).fill(0);
    for (const i of indices) perClass[decoded.labels[i]]++;
    const shown = indices.slice(0, selectionShown).map((i) => decoded.cacheIndices[i]);
    const images = appState.unwrap(await api.datasets.imagesAt({ datasetId: map.datasetId, cacheIndices: shown }));
    if (images) this.selection = { count: indices.length, perClass, images };
  }

  /** The selected images (the first 100) as the Results section's reconstruction gallery. */
  reconstructSelection(): void {
    if (!this.selection || this.#runId === null) return;
    const cacheIndices = this.selection.images.images.slice(0, 100).map((i) => i.cacheIndex);
    appState.resultsPick = { runId: this.#runId, cacheIndices };
    appState.section = 'results';
  }

  searchFrom(index: number): Promise<void> {
    return this.runSearch({ index }, null);
  }

  async searchWithFile(file: File): Promise<void> {
    if (!this.map) return;
    let image;
    try {
      image = await fileToUpload(file);
    } catch (err) {
      this.searchError = (err as Error).message;
      return;
    }
    await this.runSearch({ image }, file);
  }

  private async runSearch(
    query: { index: number } | { image: Awaited<ReturnType<typeof fileToUpload>> },
    file: File | null,
  ): Promise<void> {
    const map = this.map;
    if (!map) return;
    const result = await api.latent.search({
      embeddingId: map.projection.embeddingId,
      ...query,
      k: 10,
      metric: this.#metric,
    });
    if (!result.ok) {
      // A file that is not a usable image is the user's to fix: say so next to the drop target.
      this.searchError = result.error.message;
      return;
    }
    this.searchError = null;
    const { query: q, matches } = result.value;
    const images = appState.unwrap(
      await api.datasets.imagesAt({
        datasetId: map.datasetId,
        cacheIndices: [...(q.cacheIndex === null ? [] : [q.cacheIndex]), ...matches.map((m) => m.cacheIndex)],
      }),
    );
    if (!images) return;
    const previous = this.search;
    if (previous?.file && previous.file.source !== file) URL.revokeObjectURL(previous.file.url);
    const kept = previous?.file?.source === file ? previous.file : null;
    this.search = {
      result: result.value,
      images,
      file: file ? (kept ?? { source: file, url: URL.createObjectURL(file) }) : null,
    };
  }

  toggle(label: number): void {
    // Replaced whole (hidden is $state.raw), so the map redraws once per toggle.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const next = new Set(this.hidden);
    if (next.has(label)) next.delete(label);
    else next.add(label);
    this.hidden = next;
  }

  async exportCsv(): Promise<void> {
    const projectionId = this.#projectionId;
    if (projectionId === null) return;
    const csv = appState.unwrap(await api.latent.csv({ projectionId, latent: this.includeLatent }));
    if (!csv) return;
    download(new Blob([csv.csv], { type: 'text/csv;charset=utf-8' }), csv.fileName);
    appState.inform(`Exported ${formatCount(csv.rows)} rows as ${csv.fileName}.`);
  }
}

function emptyJob(runId: number): LatentProgress {
  return {
    jobId: 0,
    runId,
    label: '',
    status: 'running',
    phase: 'starting',
    done: 0,
    total: 0,
    elapsedMs: 0,
    etaMs: null,
    embeddingId: null,
    projectionId: null,
    error: null,
  };
}

/** Each phase of a map job as the progress line names it. */
export const latentPhaseNames: Record<LatentProgress['phase'], string> = {
  starting: 'Starting',
  encoding: 'Encoding images',
  neighbours: 'Finding neighbours',
  affinities: 'Computing affinities',
  optimising: 'Optimising the layout',
  saving: 'Saving',
  finished: 'Finished',
};
