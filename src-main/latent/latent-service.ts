import type { Database } from '../store/database';
import * as latent from '../store/latent';
import * as runs from '../store/runs';
import { imagesByCacheIndex } from '../store/images';
import { requireDataset } from '../datasets/dataset-catalog';
import { UserError } from '../api/errors';
import type {
  CodeSample,
  CodeSampleQuery,
  CsvExport,
  CsvExportArgs,
  EmbeddingSummary,
  LatentList,
  LatentMap,
  ProjectionSettings,
  ProjectionSummary,
  SimilarityQuery,
  SimilarityResult,
} from '../api/contract';
import { readEmbeddingCodes, readEmbeddingErrors, readEmbeddingIndex, readProjectionFile } from './latent-files';
import type { ProjectionMeta } from './project';
import { csvLine, float32Text } from '../app/csv';
import { nearest } from './similarity';
import { seededRandom } from '../app/random';

/** The stored codes with this id, or a not-found error in words. */
export function requireEmbedding(db: Database, id: number): latent.EmbeddingRow {
  const row = latent.getEmbedding(db, id);
  if (!row) throw new UserError('not_found', `There are no stored latent codes with id ${id}.`);
  return row;
}

function requireProjection(db: Database, id: number): latent.ProjectionRow {
  const row = latent.getProjection(db, id);
  if (!row) throw new UserError('not_found', `There is no map with id ${id}.`);
  return row;
}

function embeddingSummary(row: latent.EmbeddingRow): EmbeddingSummary {
  const { id, runId, epoch, split, count, dims, elapsedMs, createdAt } = row;
  return { id, runId, epoch, split, sample: latent.sampleOfKey(row.sample), count, dims, elapsedMs, createdAt };
}

function projectionSummary(row: latent.ProjectionRow, embedding: latent.EmbeddingRow): ProjectionSummary {
  const meta = JSON.parse(row.meta) as ProjectionMeta;
  return {
    id: row.id,
    embeddingId: embedding.id,
    epoch: embedding.epoch,
    split: embedding.split,
    sample: latent.sampleOfKey(embedding.sample),
    count: embedding.count,
    settings: JSON.parse(row.params) as ProjectionSettings,
    explainedVariance: meta.explainedVariance,
    elapsedMs: row.elapsedMs,
    createdAt: row.createdAt,
  };
}

export function listLatent(db: Database, runId: number): LatentList {
  if (!runs.getRun(db, runId)) throw new UserError('not_found', `There is no run with id ${runId}.`);
  const embeddings = latent.listEmbeddings(db, runId);
  const byId = new Map(embeddings.map((e) => [e.id, e]));
  return {
    embeddings: embeddings.map(embeddingSummary),
    projections: latent.listProjections(db, runId).map((p) => projectionSummary(p, byId.get(p.embeddingId)!)),
  };
}

function datasetOfRun(db: Database, runId: number) {
  const run = runs.getRun(db, runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
  return requireDataset(db, run.datasetId);
}

const base64 = (array: ArrayBufferView) =>
  Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');

/** A stored map with what every reader of it needs: its codes' row, the dataset, each point's image and position. */
function openProjection(db: Database, dataDir: string, projectionId: number) {
  const projection = requireProjection(db, projectionId);
  const embedding = requireEmbedding(db, projection.embeddingId);
  const dataset = datasetOfRun(db, embedding.runId);
  return {
    projection,
    embedding,
    dataset,
    cacheIndices: readEmbeddingIndex(dataDir, embedding),
    points: readProjectionFile(dataDir, projection, embedding.count),
    images: imagesByCacheIndex(db, dataset.id),
  };
}

export function readLatentMap(db: Database, dataDir: string, projectionId: number): LatentMap {
  const { projection, embedding, dataset, cacheIndices, points, images } = openProjection(db, dataDir, projectionId);
  const labels = Uint16Array.from(cacheIndices, (idx) => images.get(idx)?.label ?? 0);
  return {
    projection: projectionSummary(projection, embedding),
    datasetId: dataset.id,
    classNames: dataset.classNames,
    points: base64(points),
    labels: base64(labels),
    splits: base64(Uint8Array.from(cacheIndices, (idx) => (images.get(idx)?.split === 'test' ? 1 : 0))),
    cacheIndices: base64(cacheIndices),
    errors: base64(readEmbeddingErrors(dataDir, embedding)),
  };
}

/** The last embedding read for searching, kept so that a run of queries does not reread its file. */
let searchCache: { id: number; path: string; codes: Float32Array; cacheIndices: Int32Array } | undefined;

/** The embedding's codes and the image of each, read once for a run of queries. */
function searchable(
  dataDir: string,
  embedding: latent.EmbeddingRow,
): { codes: Float32Array; cacheIndices: Int32Array } {
  if (searchCache?.id !== embedding.id || searchCache.path !== embedding.path) {
    searchCache = {
      id: embedding.id,
      path: embedding.path,
      codes: readEmbeddingCodes(dataDir, embedding),
      cacheIndices: readEmbeddingIndex(dataDir, embedding),
    };
  }
  return searchCache;
}

/** The images whose codes are nearest to one of the embedding's own (by index) or to a code from elsewhere. */
export function searchSimilar(
  db: Database,
  dataDir: string,
  query: SimilarityQuery,
  external?: { code: Float32Array; fileName: string },
): SimilarityResult {
  const embedding = requireEmbedding(db, query.embeddingId);
  const index = query.index ?? null;
  if (index !== null && index >= embedding.count) {
    throw new UserError(
      'invalid_argument',
      `These codes cover ${embedding.count} images; index ${index} is past the end (use 0 to ${embedding.count - 1}).`,
    );
  }
  if (external && external.code.length !== embedding.dims) {
    throw new UserError(
      'internal',
      `The query code has ${external.code.length} numbers; the codes have ${embedding.dims}.`,
    );
  }
  const { codes, cacheIndices } = searchable(dataDir, embedding);
  const started = performance.now();
  const found = nearest(codes, embedding.dims, external?.code ?? index!, query.k, query.metric);
  return {
    query: {
      index,
      cacheIndex: index === null ? null : cacheIndices[index],
      fileName: external?.fileName ?? null,
    },
    metric: query.metric,
    matches: found.map(({ index, distance }) => ({ index, cacheIndex: cacheIndices[index], distance })),
    elapsedMs: performance.now() - started,
  };
}

/** A random sample (fixed by the seed) of the first dimensions of the codes, for the pair plot. */
export function sampleCodes(db: Database, dataDir: string, query: CodeSampleQuery): CodeSample {
  const embedding = requireEmbedding(db, query.embeddingId);
  const dataset = datasetOfRun(db, embedding.runId);
  const codes = readEmbeddingCodes(dataDir, embedding);
  const cacheIndices = readEmbeddingIndex(dataDir, embedding);
  const dims = Math.min(query.dims, embedding.dims);
  const count = Math.min(query.count, embedding.count);
  // A partial Fisher-Yates shuffle picks `count` distinct images.
  const order = Int32Array.from({ length: embedding.count }, (_, i) => i);
  const random = seededRandom(query.seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (embedding.count - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const images = imagesByCacheIndex(db, dataset.id);
  const values = new Float32Array(count * dims);
  const labels = new Uint16Array(count);
  for (let s = 0; s < count; s++) {
    const i = order[s];
    for (let d = 0; d < dims; d++) values[s * dims + d] = codes[i * embedding.dims + d];
    labels[s] = images.get(cacheIndices[i])?.label ?? 0;
  }
  return {
    dims,
    totalDims: embedding.dims,
    count,
    classNames: dataset.classNames,
    values: base64(values),
    labels: base64(labels),
  };
}

/** One row per image: file_name, label, label_name, split, x1, x2 (and z0…zK), for Tableau and friends. */
export function exportProjectionCsv(db: Database, dataDir: string, args: CsvExportArgs): CsvExport {
  const { projection, embedding, dataset, cacheIndices, points, images } = openProjection(
    db,
    dataDir,
    args.projectionId,
  );
  // The codes are read only when their columns are wanted.
  const codes = args.latent ? readEmbeddingCodes(dataDir, embedding) : null;
  const dims = embedding.dims;
  const header = ['file_name', 'label', 'label_name', 'split', 'x1', 'x2'];
  if (args.latent) for (let z = 0; z < dims; z++) header.push(`z${z}`);
  const lines = [csvLine(header)];
  for (let i = 0; i < embedding.count; i++) {
    const image = images.get(cacheIndices[i]);
    if (!image) continue; // an image deleted since the codes were made
    const row: Array<string | number> = [
      image.fileName,
      image.label,
      dataset.classNames[image.label] ?? String(image.label),
      image.split,
      float32Text(points[2 * i]),
      float32Text(points[2 * i + 1]),
    ];
    if (codes) for (let z = 0; z < dims; z++) row.push(float32Text(codes[i * dims + z]));
    lines.push(csvLine(row));
  }
  const settings = JSON.parse(projection.params) as ProjectionSettings;
  const safeName = dataset.name.replace(/[^\p{L}\p{N}._-]+/gu, '-');
  return {
    fileName: `${safeName}-run${embedding.runId}-${settings.method}-${projection.id}.csv`,
    rows: lines.length - 1,
    csv: lines.join(''),
  };
}
