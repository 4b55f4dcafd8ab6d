/** Latent space: codes, 2-D maps (t-SNE, UMAP, PCA), similarity search, CSV export. */
import type { EvalImages } from './results';
import type { RunRef } from './runs';

/** Which images a run's encoder turns into codes: one split, or train and test together. */
export type EmbeddingSplit = 'train' | 'test' | 'all';

/**
 * Part of a split, as notebooks map "500 random test images": `count` images drawn at random, or with `perClass`
 * `count` of each class (fewer where a class has fewer), both fixed by `seed`.
 */
export interface EmbeddingSample {
  count: number;
  perClass: boolean;
  seed: number;
}

/** "500 random test images", "50 per class of the training images", "all images": what codes or a map are of. */
export function describeImagesOf(split: EmbeddingSplit, sample: EmbeddingSample | null | undefined): string {
  const images = split === 'all' ? 'images' : split === 'test' ? 'test images' : 'training images';
  if (!sample) return split === 'all' ? 'all images' : `all ${images}`;
  const count = sample.count.toLocaleString('en-US');
  return sample.perClass ? `${count} per class of the ${images}` : `${count} random ${images}`;
}

export interface TsneSettings {
  method: 'tsne';
  /** Effective number of neighbours each point keeps close (5–100). */
  perplexity: number;
  iterations: number;
  /** 'auto' is max(n / exaggeration / 4, 50), as in scikit-learn. */
  learningRate: number | 'auto';
  /** Early exaggeration (first 250 iterations). */
  exaggeration: number;
  init: 'pca' | 'random';
  seed: number;
}

export interface UmapSettings {
  method: 'umap';
  /** Size of the neighbourhood that shapes the map: small keeps local detail, large the global layout (2–200). */
  nNeighbors: number;
  /** How tightly points may pack together (0–0.99). */
  minDist: number;
  /** Optimisation epochs (0: umap-js's choice by data size). */
  epochs: number;
  seed: number;
}

export interface PcaSettings {
  method: 'pca';
}

export type ProjectionSettings = TsneSettings | UmapSettings | PcaSettings;

export type ProjectionMethod = ProjectionSettings['method'];

/** t-SNE's defaults: scikit-learn's (the Latent map's form and the CLI start from them). */
export const defaultTsneSettings: TsneSettings = {
  method: 'tsne',
  perplexity: 30,
  iterations: 1000,
  learningRate: 'auto',
  exaggeration: 12,
  init: 'pca',
  seed: 0,
};

/** UMAP's usual defaults (umap-learn's and umap-js's). */
export const defaultUmapSettings: UmapSettings = { method: 'umap', nNeighbors: 15, minDist: 0.1, epochs: 0, seed: 0 };

export interface LatentJobArgs {
  runId: number;
  /** The checkpoint to encode with; defaults to the run's latest. */
  epoch?: number;
  split: EmbeddingSplit;
  /** Only part of the split; without it, all of it. */
  sample?: EmbeddingSample;
  /** Also lay the codes out in 2-D; without it only the codes are computed (and stored). */
  projection?: ProjectionSettings;
}

export interface LatentProgress {
  jobId: number;
  runId: number;
  label: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  phase: 'starting' | 'encoding' | 'neighbours' | 'affinities' | 'optimising' | 'saving' | 'finished';
  done: number;
  total: number;
  elapsedMs: number;
  etaMs: number | null;
  embeddingId: number | null;
  projectionId: number | null;
  error: string | null;
}

export interface EmbeddingSummary {
  id: number;
  runId: number;
  epoch: number;
  split: EmbeddingSplit;
  /** The sample of the split the codes are of; null for all of it. */
  sample: EmbeddingSample | null;
  count: number;
  dims: number;
  elapsedMs: number;
  createdAt: string;
}

export interface ProjectionSummary {
  id: number;
  embeddingId: number;
  epoch: number;
  split: EmbeddingSplit;
  sample: EmbeddingSample | null;
  count: number;
  settings: ProjectionSettings;
  /** PCA: share of the codes' variance along each axis (0..1). */
  explainedVariance: number[] | null;
  elapsedMs: number;
  createdAt: string;
}

export interface LatentList {
  embeddings: EmbeddingSummary[];
  projections: ProjectionSummary[];
}

export interface ProjectionRef {
  projectionId: number;
}

/** Every point of a 2-D map. Arrays travel as base64 of little-endian typed arrays, one entry per point. */
export interface LatentMap {
  projection: ProjectionSummary;
  datasetId: number;
  classNames: string[];
  /** Float32 x, y pairs. */
  points: string;
  /** Uint16 class indices. */
  labels: string;
  /** Uint8 split of each image: 0 training, 1 test. */
  splits: string;
  /** Int32 pixel-cache positions, for thumbnails (datasets:imagesAt). */
  cacheIndices: string;
  /** Float32 reconstruction error (MSE) of each image with the same checkpoint, for colouring by error. */
  errors: string;
}

export interface CodeSampleQuery {
  embeddingId: number;
  /** The first `dims` numbers of each code (1–10). */
  dims: number;
  /** How many images, picked at random with `seed` (all when there are fewer). */
  count: number;
  seed: number;
}

/** A sample of codes for the pair plot; arrays as base64 little-endian typed arrays. */
export interface CodeSample {
  dims: number;
  /** Numbers per code in the embedding. */
  totalDims: number;
  count: number;
  classNames: string[];
  /** Float32, count x dims. */
  values: string;
  /** Uint16 class indices. */
  labels: string;
}

export type DistanceMetric = 'l1' | 'l2' | 'cosine';

export interface SimilarityQuery {
  embeddingId: number;
  /** Position of the query image in the embedding (as in the map's arrays); or, instead: */
  index?: number;
  /** Any image file, encoded with the embedding's checkpoint. */
  image?: Extract<EvalImages, { from: 'file' | 'upload' }>;
  k: number;
  metric: DistanceMetric;
}

export interface SimilarityResult {
  /** index and cacheIndex are null for a query image from a file. */
  query: { index: number | null; cacheIndex: number | null; fileName: string | null };
  metric: DistanceMetric;
  /** The k nearest other images, closest first. */
  matches: Array<{ index: number; cacheIndex: number; distance: number }>;
  elapsedMs: number;
}

export interface CsvExportArgs {
  projectionId: number;
  /** Add the code's columns z0…zK. */
  latent: boolean;
}

export interface CsvExport {
  fileName: string;
  rows: number;
  csv: string;
}

export interface LatentMethods {
  'latent:start': { args: LatentJobArgs; result: { jobId: number } };
  'latent:cancel': { args: { jobId: number }; result: null };
  'latent:list': { args: RunRef; result: LatentList };
  'latent:map': { args: ProjectionRef; result: LatentMap };
  'latent:search': { args: SimilarityQuery; result: SimilarityResult };
  'latent:sample': { args: CodeSampleQuery; result: CodeSample };
  'latent:csv': { args: CsvExportArgs; result: CsvExport };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const latentChannels = {
  'latent:start': true,
  'latent:cancel': true,
  'latent:list': true,
  'latent:map': true,
  'latent:search': true,
  'latent:sample': true,
  'latent:csv': true,
} as const satisfies Record<keyof LatentMethods, true>;

/** Events pushed from main to the renderer. */
export interface LatentEvents {
  'latent:progress': LatentProgress;
}

export const latentEventChannels = {
  'latent:progress': true,
} as const satisfies Record<keyof LatentEvents, true>;
