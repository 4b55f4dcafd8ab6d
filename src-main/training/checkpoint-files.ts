import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { temporarySibling } from '../app/files';
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

/** A checkpoint's model (for encoding and reconstructing: trainer/model-state.ts loadModel), without the optimizer. */
export function readModelBytes(dir: string): ModelBytes {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ weights: tfType.io.WeightsManifestEntry[] }>;
  };
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest[0].weights,
    weightData: toArrayBuffer(readFileSync(join(dir, 'weights.bin'))),
  };
}

/** A whole checkpoint, for a trainer to go on from. */
export function readCheckpoint(dir: string): CheckpointBytes {
  return {
    ...readModelBytes(dir),
    optimizerSpecs: JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as tfType.io.WeightsManifestEntry[],
    optimizerData: toArrayBuffer(readFileSync(join(dir, 'optimizer.bin'))),
    state: JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointBytes['state'],
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
