import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx } from '../../../src-main/datasets/idx';
import { resourcesDir } from '../../../src-main/app/paths';

const sampleDir = join(resourcesDir(), 'sample', 'fashion-mnist');

function idx(shape: number[], data: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('parseIdx', () => {
  it('reads the real gzipped Fashion-MNIST test split', () => {
    const images = parseIdx(readFileSync(join(sampleDir, 't10k-images-idx3-ubyte.gz')), 'images');
    const labels = parseIdx(readFileSync(join(sampleDir, 't10k-labels-idx1-ubyte.gz')), 'labels');
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(labels.shape).toEqual([10000]);
    expect(Math.max(...labels.data)).toBe(9);
    // The first test image is an ankle boot (label 9), as in every Fashion-MNIST reader.
    expect(labels.data[0]).toBe(9);
  });

  it('reads plain and gzipped files alike', () => {
    const plain = idx([2, 2], [1, 2, 3, 4]);
    expect(parseIdx(plain, 'a')).toEqual({ shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) });
    expect(parseIdx(gzipSync(plain), 'a').data).toEqual(new Uint8Array([1, 2, 3, 4]));
  });

  it.each([
    ['an empty file', new Uint8Array(), /not an IDX file/],
    ['a PNG', Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'), /not an IDX file/],
    ['a float IDX', Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), /only unsigned-byte/],
    ['a cut-off header', Buffer.from([0, 0, 8, 3, 0, 0]), /truncated or invalid IDX header/],
    ['missing data', idx([10, 10], [1, 2, 3]), /truncated: its header promises 100 bytes/],
    ['damaged gzip', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), /damaged gzip/],
  ])('explains %s', (_, bytes, message) => {
    expect(() => parseIdx(bytes, 'upload.idx')).toThrowError(message);
  });
});
