/** Datasets: imports, the image browser, import reports. */

export type Split = 'train' | 'test';

export interface DatasetSummary {
  id: number;
  name: string;
  /** Where it was imported from: a folder, or the set and its folder. */
  source: string;
  width: number;
  height: number;
  channels: 1 | 3;
  classNames: string[];
  /** Images per class index, per split. */
  classCounts: { train: number[]; test: number[] };
  trainCount: number;
  testCount: number;
  runCount: number;
  createdAt: string;
}

export interface ImagePageQuery {
  datasetId: number;
  split: Split;
  offset: number;
  limit: number;
  /** Only images of this class. */
  label?: number;
}

export interface ImageItem {
  id: number;
  label: number;
  /** Path inside the imported folder (or the IDX file and item number). */
  fileName: string;
  /** Size of the original picture, when it came from an image file. */
  origWidth: number | null;
  origHeight: number | null;
}

/** Pixels travel as base64 of uint8 HWC images laid back to back, in `images` order. */
export interface ImagePage {
  datasetId: number;
  split: Split;
  total: number;
  offset: number;
  width: number;
  height: number;
  channels: 1 | 3;
  images: ImageItem[];
  pixels: string;
}

export type ImageFit = 'cover' | 'contain' | 'stretch';

export interface FolderImportArgs {
  /** The folder holding one sub-folder per class (optionally under train/ and test/). */
  path: string;
  name?: string;
  /** Images become size x size pixels (default 64). */
  size?: number;
  fit?: ImageFit;
  channels?: 1 | 3;
  /** Fills transparent areas and 'contain' borders (default white). */
  background?: string;
  /** 'folders' keeps the folder's own train/test split; a number is the test fraction of a stratified random split. */
  testSplit?: 'folders' | number;
  seed?: number;
  /** Class folders to leave out, e.g. "unknown". */
  exclude?: string[];
  /** Import a folder already imported (with the same image size and colours) as a second copy. */
  again?: boolean;
}

export type BuiltinDataset = 'mnist' | 'fashion-mnist' | 'kmnist' | 'cifar10';

export interface BuiltinImportArgs {
  dataset: BuiltinDataset;
  /**
   * The folder with the set's original files (IDX `*-ubyte[.gz]`; CIFAR-10 batches, binary or Python). Without it
   * the files are downloaded from their official location (checked and kept for next time).
   */
  from?: string;
  name?: string;
}

export interface ImportJob {
  jobId: number;
}

export interface ImportProgress {
  jobId: number;
  /** What is being imported, for the progress line. */
  label: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  phase: 'downloading' | 'scanning' | 'decoding' | 'saving' | 'finished';
  done: number;
  total: number;
  skipped: number;
  elapsedMs: number;
  etaMs: number | null;
  datasetId: number | null;
  error: string | null;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ImportReport {
  source: string;
  layout: 'class-folders' | 'train-test-folders' | 'idx-files' | 'cifar-batches';
  options: Record<string, unknown>;
  /** Files looked at. */
  found: number;
  imported: number;
  /** Files with the same content as one already imported (also listed in `skipped`). */
  duplicates: number;
  skipped: SkippedFile[];
  /** What the user should know about how the files were read (e.g. a test split made from the training images). */
  notes?: string[];
  elapsedMs: number;
}

export interface DatasetRef {
  datasetId: number;
}

export interface ImagesAtQuery {
  datasetId: number;
  /** Pixel-cache positions (at most 500). */
  cacheIndices: number[];
}

/** Images with their pixels (base64 uint8 HWC, back to back, in `images` order). */
export interface ImageSet {
  datasetId: number;
  width: number;
  height: number;
  channels: 1 | 3;
  images: Array<ImageItem & { split: Split; cacheIndex: number }>;
  pixels: string;
}

export interface DatasetsMethods {
  'datasets:list': { args: void; result: DatasetSummary[] };
  'datasets:images': { args: ImagePageQuery; result: ImagePage };
  'datasets:import': { args: FolderImportArgs; result: ImportJob };
  'datasets:importBuiltin': { args: BuiltinImportArgs; result: ImportJob };
  'datasets:cancelImport': { args: ImportJob; result: null };
  'datasets:report': { args: DatasetRef; result: ImportReport | null };
  'datasets:rename': { args: DatasetRef & { name: string }; result: DatasetSummary };
  'datasets:delete': { args: DatasetRef; result: null };
  'datasets:imagesAt': { args: ImagesAtQuery; result: ImageSet };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const datasetsChannels = {
  'datasets:list': true,
  'datasets:images': true,
  'datasets:import': true,
  'datasets:importBuiltin': true,
  'datasets:cancelImport': true,
  'datasets:report': true,
  'datasets:rename': true,
  'datasets:delete': true,
  'datasets:imagesAt': true,
} as const satisfies Record<keyof DatasetsMethods, true>;

/** Events pushed from main to the renderer. */
export interface DatasetsEvents {
  'import:progress': ImportProgress;
}

export const datasetsEventChannels = {
  'import:progress': true,
} as const satisfies Record<keyof DatasetsEvents, true>;
