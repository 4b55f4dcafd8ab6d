import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { temporarySibling } from '../app/files';
import { UserError } from '../api/errors';
import type { CheckpointBytes, ModelBytes } from '../trainer/trainer';

export type { CheckpointState } from '../trainer/trainer';

/**
 * A checkpoint is a folder: the model in tfjs layers format (model.json + weights.bin), the optimizer's slots
 * (optimizer.json + optimizer.bin) and the loop position (state.json). The trainer core makes the bytes
 * (trainer/model-state.ts); this file only moves them to and from disk. A folder is written under a temporary name
 * and renamed into place, so it exists whole or not at all.
 */

/** The files of a checkpoint folder, all of them always written. */
export const checkpointFiles = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'state.json'] as const;

/** Bytes per value of each dtype tfjs encodes weights with. */
const dtypeBytes: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** How many bytes weights with these specs take when encoded (weights.bin, optimizer.bin); undefined if unknown. */
export function encodedBytes(specs: ReadonlyArray<{ shape: number[]; dtype: string }>): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const size = dtypeBytes[spec.dtype];
    if (size === undefined || !Array.isArray(spec.shape)) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * size;
  }
  return total;
}

export function writeCheckpoint(dir: string, checkpoint: CheckpointBytes): void {
  const tmp = temporarySibling(dir);
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, 'weights.bin'), new Uint8Array(checkpoint.weightData));
    writeFileSync(
      join(tmp, 'model.json'),
      JSON.stringify({
        format: 'layers-model',
        generatedBy: 'Autoencoder Studio',
        modelTopology: checkpoint.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: checkpoint.weightSpecs }],
      }),
    );
    writeFileSync(join(tmp, 'optimizer.bin'), new Uint8Array(checkpoint.optimizerData));
    writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify(checkpoint.optimizerSpecs));
    writeFileSync(join(tmp, 'state.json'), JSON.stringify(checkpoint.state));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A checkpoint that cannot be used, said as such: what is wrong with which file. */
function damaged(dir: string, what: string): UserError {
  return new UserError(
    'file_error',
    `The checkpoint in ${dir} is damaged: ${what}. Resume from an earlier checkpoint, or train the run again.`,
  );
}

/** Reads a checkpoint's JSON file; a missing or malformed one is a damaged checkpoint. */
function readJson<T>(dir: string, name: string): T {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw damaged(dir, code === 'ENOENT' ? `${name} is missing` : `${name} cannot be read (${(err as Error).message})`);
  }
}

/** Reads a weights file, which must be exactly as large as its specs say (a copy cut short is not). */
function readWeights(dir: string, name: string, specs: tfType.io.WeightsManifestEntry[], named: string): ArrayBuffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, name));
  } catch {
    throw damaged(dir, `${name} is missing`);
  }
  const expected = encodedBytes(specs);
  if (expected !== bytes.length) {
    throw damaged(
      dir,
      `${name} holds ${bytes.length.toLocaleString('en-US')} bytes where ${named} needs ${expected?.toLocaleString('en-US') ?? 'other'}`,
    );
  }
  return toArrayBuffer(bytes);
}

/** A checkpoint's model (for encoding and reconstructing: trainer/model-state.ts loadModel), without the optimizer. */
export function readModelBytes(dir: string): ModelBytes {
  const modelJson = readJson<{
    modelTopology: object;
    weightsManifest: Array<{ weights: tfType.io.WeightsManifestEntry[] }>;
  }>(dir, 'model.json');
  const weightSpecs = modelJson.weightsManifest?.[0]?.weights;
  if (!modelJson.modelTopology || !Array.isArray(weightSpecs))
    throw damaged(dir, 'model.json does not describe a model');
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs,
    weightData: readWeights(dir, 'weights.bin', weightSpecs, 'its model'),
  };
}

/** A whole checkpoint, for a trainer to go on from. */
export function readCheckpoint(dir: string): CheckpointBytes {
  const optimizerSpecs = readJson<tfType.io.WeightsManifestEntry[]>(dir, 'optimizer.json');
  return {
    ...readModelBytes(dir),
    optimizerSpecs,
    optimizerData: readWeights(dir, 'optimizer.bin', optimizerSpecs, "the optimizer's state"),
    state: readJson<CheckpointBytes['state']>(dir, 'state.json'),
  };
}

/** A checkpoint's model weights by name (`encoder_conv_1/kernel`), read without tfjs: every weight is float32. */
export function readCheckpointWeights(dir: string): Map<string, { shape: number[]; data: Float32Array }> {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ weights: tfType.io.WeightsManifestEntry[] }>;
  };
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const spec of modelJson.weightsManifest[0].weights) {
    if (spec.dtype !== 'float32') throw new Error(`Weight ${spec.name} is ${spec.dtype}, not float32.`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    Buffer.from(data.buffer).set(bytes.subarray(offset, offset + count * 4));
    weights.set(spec.name, { shape: spec.shape, data });
    offset += count * 4;
  }
  if (offset !== bytes.length) throw new Error(`weights.bin holds ${bytes.length} bytes; model.json names ${offset}.`);
  return weights;
}
