import { existsSync } from 'node:fs';
import { readUserFile } from '../app/user-file';
import { join } from 'node:path';
import { UserError } from '../api/errors';
import { NumpyArray, readPickle, type PickleValue } from './safe-pickle';

export const cifar10Classes = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];
const side = 32;
const imageBytes = side * side * 3;

export interface CifarBatch {
  /** HWC uint8, images back to back. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** CIFAR stores each image as 1024 red, then 1024 green, then 1024 blue bytes; the store keeps HWC. */
function planarToInterleaved(planar: Uint8Array, count: number, out: Uint8Array, outOffset: number): void {
  for (let i = 0; i < count; i++) {
    const src = i * imageBytes;
    const dst = outOffset + i * imageBytes;
    for (let p = 0; p < side * side; p++) {
      out[dst + p * 3] = planar[src + p];
      out[dst + p * 3 + 1] = planar[src + 1024 + p];
      out[dst + p * 3 + 2] = planar[src + 2048 + p];
    }
  }
}

/** The binary version: records of 1 label byte followed by 3072 pixel bytes. */
export function parseCifarBinary(bytes: Uint8Array, file: string): CifarBatch {
  const record = 1 + imageBytes;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new UserError(
      'file_error',
      `${file} is not a CIFAR-10 binary batch: its size is not a whole number of 3073-byte records.`,
    );
  }
  const count = bytes.length / record;
  const labels = new Uint8Array(count);
  const planar = new Uint8Array(count * imageBytes);
  for (let i = 0; i < count; i++) {
    labels[i] = bytes[i * record];
    planar.set(bytes.subarray(i * record + 1, (i + 1) * record), i * imageBytes);
  }
  checkLabels(labels, file);
  const pixels = new Uint8Array(count * imageBytes);
  planarToInterleaved(planar, count, pixels, 0);
  return { pixels, labels };
}

function field(dict: PickleValue, name: string): PickleValue | undefined {
  if (!(dict instanceof Map)) return undefined;
  for (const [key, value] of dict) {
    const text = key instanceof Uint8Array ? new TextDecoder().decode(key) : key;
    if (text === name) return value;
  }
  return undefined;
}

/** The Python version: a pickled dict with `data` (N x 3072 uint8 array) and `labels` (list of ints). */
export function parseCifarPython(bytes: Uint8Array, file: string): CifarBatch {
  const dict = readPickle(bytes, file);
  const data = field(dict, 'data');
  const labelList = field(dict, 'labels');
  if (!(data instanceof NumpyArray) || !Array.isArray(labelList)) {
    throw new UserError(
      'file_error',
      `${file} is a pickle but not a CIFAR-10 batch (it has no "data" array and "labels" list).`,
    );
  }
  const [count, width] = data.shape;
  if (
    data.dtype !== 'u1' ||
    width !== imageBytes ||
    data.data.length !== count * imageBytes ||
    labelList.length !== count
  ) {
    throw new UserError(
      'file_error',
      `${file} has a "data" array of shape ${data.shape.join('x')} (${data.dtype}); CIFAR-10 batches are N x 3072 uint8 with N labels.`,
    );
  }
  const labels = Uint8Array.from(labelList, (label) => (typeof label === 'number' ? label : 255));
  checkLabels(labels, file);
  const pixels = new Uint8Array(count * imageBytes);
  planarToInterleaved(data.data, count, pixels, 0);
  return { pixels, labels };
}

function checkLabels(labels: Uint8Array, file: string): void {
  const bad = labels.findIndex((label) => label >= cifar10Classes.length);
  if (bad >= 0)
    throw new UserError('file_error', `${file} has label ${labels[bad]} at image ${bad}; CIFAR-10 has 10 classes.`);
}

const binaryFiles = { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] };
const pythonFiles = { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`), test: ['test_batch'] };

/**
 * Finds a CIFAR-10 folder: the batches themselves, or a folder holding `cifar-10-batches-bin` or
 * `cifar-10-batches-py` (what the official archives extract to).
 */
export function locateCifar(dir: string): { dir: string; format: 'binary' | 'python' } {
  for (const candidate of [dir, join(dir, 'cifar-10-batches-bin'), join(dir, 'cifar-10-batches-py')]) {
    if (existsSync(join(candidate, 'data_batch_1.bin'))) return { dir: candidate, format: 'binary' };
    if (existsSync(join(candidate, 'data_batch_1'))) return { dir: candidate, format: 'python' };
  }
  throw new UserError(
    'file_error',
    `${dir} has no CIFAR-10 batches (data_batch_1 … 5 and test_batch, binary or Python version).`,
  );
}

/** A real batch is 30.7 MB (10,000 images); anything far beyond that is not one. */
const maxCifarBatchBytes = 256 * 1024 * 1024;

export function readCifarSplit(
  location: { dir: string; format: 'binary' | 'python' },
  split: 'train' | 'test',
): CifarBatch {
  const names = (location.format === 'binary' ? binaryFiles : pythonFiles)[split];
  const batches = names.map((name) => {
    const path = join(location.dir, name);
    if (!existsSync(path)) throw new UserError('file_error', `${location.dir} is missing ${name}.`);
    const bytes = readUserFile(path, maxCifarBatchBytes, 'The CIFAR-10 batch');
    return location.format === 'binary' ? parseCifarBinary(bytes, path) : parseCifarPython(bytes, path);
  });
  const count = batches.reduce((sum, b) => sum + b.labels.length, 0);
  const pixels = new Uint8Array(count * imageBytes);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const batch of batches) {
    pixels.set(batch.pixels, at * imageBytes);
    labels.set(batch.labels, at);
    at += batch.labels.length;
  }
  return { pixels, labels };
}
