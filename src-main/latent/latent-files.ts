import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../app/files';
import { UserError } from '../api/errors';
import type { EmbeddingRow, ProjectionRow } from '../store/latent';

/**
 * The numbers behind embeddings and projections, as raw little-endian arrays next to their rows: an embedding is
 * `<path>.f32` (count x dims codes), `<path>.idx` (each code's pixel-cache position) and `<path>.err` (each image's
 * reconstruction MSE); a projection is count x 2 float32. Each file is written atomically before its row, so a row
 * always has complete files. Each reader reads one file, so a caller reads only what it uses.
 */

function bytes(array: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function writeEmbeddingFiles(
  dataDir: string,
  path: string,
  codes: Float32Array,
  cacheIndices: Int32Array,
  errors: Float32Array,
) {
  writeFileAtomic(join(dataDir, `${path}.f32`), bytes(codes));
  writeFileAtomic(join(dataDir, `${path}.idx`), bytes(cacheIndices));
  writeFileAtomic(join(dataDir, `${path}.err`), bytes(errors));
}

/** Each image's reconstruction MSE, in the embedding's order. */
export function readEmbeddingErrors(dataDir: string, row: EmbeddingRow): Float32Array {
  const data = readExact(join(dataDir, `${row.path}.err`), row.count * 4, 'reconstruction errors');
  return new Float32Array(data.buffer, data.byteOffset, row.count);
}

function readExact(file: string, expectedBytes: number, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new UserError('file_error', `The ${what} file cannot be read (${(err as Error).message}); compute it again.`);
  }
  if (data.length !== expectedBytes) {
    throw new UserError('file_error', `The ${what} file is damaged (wrong size); compute it again.`);
  }
  // Copy into a fresh, aligned buffer the typed arrays can view.
  return Buffer.from(data);
}

/** The codes, count x dims, in the embedding's order. */
export function readEmbeddingCodes(dataDir: string, row: EmbeddingRow): Float32Array {
  const data = readExact(join(dataDir, `${row.path}.f32`), row.count * row.dims * 4, 'latent codes');
  return new Float32Array(data.buffer, data.byteOffset, row.count * row.dims);
}

/** Each code's image, as its pixel-cache position. */
export function readEmbeddingIndex(dataDir: string, row: EmbeddingRow): Int32Array {
  const data = readExact(join(dataDir, `${row.path}.idx`), row.count * 4, 'latent codes index');
  return new Int32Array(data.buffer, data.byteOffset, row.count);
}

export function writeProjectionFile(dataDir: string, path: string, points: Float32Array): void {
  writeFileAtomic(join(dataDir, path), bytes(points));
}

export function readProjectionFile(dataDir: string, row: ProjectionRow, count: number): Float32Array {
  const data = readExact(join(dataDir, row.path), count * 2 * 4, 'map');
  return new Float32Array(data.buffer, data.byteOffset, count * 2);
}
