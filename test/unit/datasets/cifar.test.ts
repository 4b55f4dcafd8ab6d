import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { openDatabase } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { importBuiltin } from '../../../src-main/datasets/builtin-import';
import { parseCifarPython } from '../../../src-main/datasets/cifar';
import { readPickle } from '../../../src-main/datasets/safe-pickle';
import { listDatasets } from '../../../src-main/store/datasets';
import { splitIndex } from '../../../src-main/store/images';
import { openPixelCache } from '../../../src-main/datasets/dataset-store';
import { cifarPython3Batch, cifarPythonBatch, planarImages, writeCifar } from '../../helpers/cifar-files';
import { useTempDirs } from '../../helpers/temp-dir';

describe('CIFAR-10 files', () => {
  const tempDir = useTempDirs();

  it.each(['python', 'binary'] as const)(
    'imports the %s version: 5 training batches and the test batch, as RGB',
    async (format) => {
      const from = tempDir();
      writeCifar(from, format, 50, 20);
      const dataDir = tempDir();
      const db = openDatabase(dataLayout(dataDir).database);
      const ctx = { db, dataDir, signal: new AbortController().signal, onProgress: () => {} };
      const { report } = await importBuiltin(ctx, { dataset: 'cifar10', from });
      expect(report).toMatchObject({ layout: 'cifar-batches', imported: 70 });
      const [dataset] = listDatasets(db);
      expect(dataset).toMatchObject({ name: 'CIFAR-10', width: 32, height: 32, channels: 3 });
      expect(dataset.classNames).toEqual([
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
      ]);
      const train = splitIndex(db, dataset.id, 'train');
      expect(train.idx.length).toBe(50);
      expect(splitIndex(db, dataset.id, 'test').idx.length).toBe(20);
      expect([...train.labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      // Planar R, G, B planes become interleaved pixels: image 3 of batch 1 is (3, 4, 5) everywhere.
      const cache = openPixelCache(dataDir, dataset);
      const image = cache.read([train.idx[3]]);
      cache.close();
      expect([...image.subarray(0, 6)]).toEqual([3, 4, 5, 3, 4, 5]);
      db.close();
    },
  );

  it('reads a batch pickled like the official files without running anything', () => {
    const batch = parseCifarPython(cifarPythonBatch([7, 2], planarImages(2)), 'data_batch_1');
    expect([...batch.labels]).toEqual([7, 2]);
    expect(batch.pixels.length).toBe(2 * 3072);
  });

  it('reads a batch pickled again by Python 3, its bytes as latin-1 text, to the same pixels', () => {
    const planar = planarImages(3);
    planar.fill(0xff, 100, 200); // bytes over 0x7f are two UTF-8 bytes in the pickle, one pixel after decoding
    const batch = parseCifarPython(cifarPython3Batch([4, 0, 9], planar), 'data_batch_1');
    expect([...batch.labels]).toEqual([4, 0, 9]);
    expect(batch.pixels.length).toBe(3 * 3072);
    const original = parseCifarPython(cifarPythonBatch([4, 0, 9], planar), 'data_batch_1');
    expect(Buffer.from(batch.pixels).equals(Buffer.from(original.pixels))).toBe(true);
  });

  it('reads a batch pickled by real numpy with protocol 5 (_frombuffer), as data, to the same pixels', () => {
    const planar = planarImages(2);
    // numpy writes the array as numpy.core.numeric._frombuffer(bytearray, dtype, shape, order): rebuilt, not called.
    const pickle = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, pickle, numpy; d = numpy.frombuffer(sys.stdin.buffer.read(), dtype="u1").reshape(2, 3072).copy(); ' +
          'sys.stdout.buffer.write(pickle.dumps({"data": d, "labels": [3, 8]}, protocol=5))',
      ],
      { input: planar },
    );
    expect(pickle.includes(Buffer.from('_frombuffer'))).toBe(true);
    const batch = parseCifarPython(pickle, 'data_batch_1');
    expect([...batch.labels]).toEqual([3, 8]);
    const original = parseCifarPython(cifarPythonBatch([3, 8], planar), 'data_batch_1');
    expect(Buffer.from(batch.pixels).equals(Buffer.from(original.pixels))).toBe(true);
  });

  it('reads a list of millions of items without overflowing the call stack', () => {
    const count = 2_000_000;
    const body = Buffer.alloc(count * 2);
    for (let i = 0; i < count; i++) body.writeUInt16BE(0x4b01, i * 2); // BININT1 1
    const list = Buffer.concat([Buffer.from('\x80\x02]q\x00(', 'latin1'), body, Buffer.from('e.', 'latin1')]);
    expect((readPickle(list, 'data_batch_1') as unknown[]).length).toBe(count);
  });

  it('refuses "latin-1" array bytes with a character no byte can hold', () => {
    // _codecs.encode('aĀ', 'latin1'), which Python itself would refuse to run.
    const text = Buffer.from('aĀ', 'utf8');
    const pickle = Buffer.concat([
      Buffer.from('\x80\x02c_codecs\nencode\nX', 'latin1'),
      Buffer.from([text.length, 0, 0, 0]),
      text,
      Buffer.from('X\x06\x00\x00\x00latin1\x86R.', 'latin1'),
    ]);
    expect(() => readPickle(pickle, 'data_batch_1')).toThrow(/data_batch_1 .*not latin-1/);
  });

  it.each([
    [
      'os.system',
      Buffer.from('\x80\x02cos\nsystem\nq\x00U\x06whoamiq\x01\x85q\x02Rq\x03.', 'latin1'),
      /asks to run "os\.system".*refused/,
    ],
    [
      'builtins.eval',
      Buffer.from('\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x051+1\x85R.', 'latin1'),
      /asks to run "builtins\.eval"/,
    ],
    ['an object instance', Buffer.from('\x80\x02(i__main__\nEvil\n.', 'latin1'), /opcode 0x69/],
    ['a truncated file', cifarPythonBatch([1], planarImages(1)).subarray(0, 500), /ends too early/],
    ['plain text', Buffer.from('hello world', 'latin1'), /data_batch_1 is not a readable data pickle/],
  ])('refuses a pickle with %s', (_, bytes, message) => {
    expect(() => readPickle(bytes, 'data_batch_1')).toThrowError(message);
  });

  it('says which file is not a CIFAR batch', async () => {
    const from = tempDir();
    writeCifar(from, 'binary', 10, 5);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${from}/cifar-10-batches-bin/data_batch_3.bin`, Buffer.alloc(3000));
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    const ctx = { db, dataDir, signal: new AbortController().signal, onProgress: () => {} };
    await expect(importBuiltin(ctx, { dataset: 'cifar10', from })).rejects.toThrowError(
      /data_batch_3\.bin is not a CIFAR-10 binary batch: its size is not a whole number of 3073-byte records/,
    );
    expect(listDatasets(db)).toEqual([]);
    db.close();
  });
});
