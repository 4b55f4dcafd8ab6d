import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `n` CIFAR images in the files' planar layout (R plane, G plane, B plane); image i is filled with i, i+1, i+2. */
export function planarImages(n: number): Uint8Array {
  const out = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) out.fill((i + c) % 256, i * 3072 + c * 1024, i * 3072 + (c + 1) * 1024);
  return out;
}

const str = (s: string) => Buffer.concat([Buffer.from([0x55, s.length]), Buffer.from(s, 'latin1')]); // SHORT_BINSTRING
const int = (v: number) => (v < 256 ? Buffer.from([0x4b, v]) : Buffer.from([0x4d, v & 0xff, v >> 8])); // BININT1/2

/**
 * A batch exactly as the official `cifar-10-batches-py` files are written (Python 2 cPickle, protocol 2):
 * {'data': numpy uint8 array N x 3072, 'labels': [..], 'batch_label': '..', 'filenames': [..]}.
 */
export function cifarPythonBatch(labels: number[], planar: Uint8Array): Buffer {
  const n = labels.length;
  const long = Buffer.alloc(5);
  long[0] = 0x54; // BINSTRING with the raw array bytes
  long.writeUInt32LE(planar.length, 1);
  return Buffer.concat([
    Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x01, 0x28]), // PROTO 2, EMPTY_DICT, BINPUT 1, MARK
    str('data'),
    Buffer.from('cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03', 'latin1'),
    Buffer.from([0x4b, 0x00, 0x85]), // (0,)
    str('b'),
    Buffer.from([0x87, 0x52, 0x71, 0x04, 0x28, 0x4b, 0x01]), // TUPLE3 REDUCE BINPUT MARK 1
    int(n),
    Buffer.from([0x4d, 0x00, 0x0c, 0x86]), // 3072, TUPLE2
    Buffer.from('cnumpy\ndtype\nq\x05', 'latin1'),
    str('u1'),
    Buffer.from([0x4b, 0x00, 0x4b, 0x01, 0x87, 0x52, 0x71, 0x06, 0x28, 0x4b, 0x03]),
    str('|'),
    Buffer.from([0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x62]),
    Buffer.from([0x89]), // NEWFALSE (not Fortran order)
    long,
    Buffer.from(planar),
    Buffer.from([0x74, 0x62]), // TUPLE (state), BUILD
    str('labels'),
    Buffer.from([0x5d, 0x71, 0x07, 0x28]), // EMPTY_LIST BINPUT MARK
    ...labels.map(int),
    Buffer.from([0x65]), // APPENDS
    str('batch_label'),
    str('training batch 1 of 5'),
    str('filenames'),
    Buffer.from([0x5d, 0x28]),
    ...labels.map((_, i) => str(`image_${i}.png`)),
    Buffer.from([0x65, 0x75, 0x2e]), // APPENDS SETITEMS STOP
  ]);
}

export function cifarBinaryBatch(labels: number[], planar: Uint8Array): Buffer {
  return Buffer.concat(
    labels.map((label, i) => Buffer.concat([Buffer.from([label]), planar.subarray(i * 3072, (i + 1) * 3072)])),
  );
}

/** A tiny CIFAR-10 in either layout: `train` images spread over 5 batches, `test` in test_batch. */
export function writeCifar(dir: string, format: 'python' | 'binary', train: number, test: number): void {
  const folder = join(dir, format === 'python' ? 'cifar-10-batches-py' : 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  const ext = format === 'python' ? '' : '.bin';
  const write = format === 'python' ? cifarPythonBatch : cifarBinaryBatch;
  const perBatch = train / 5;
  for (let b = 0; b < 5; b++) {
    const labels = Array.from({ length: perBatch }, (_, i) => (b * perBatch + i) % 10);
    writeFileSync(join(folder, `data_batch_${b + 1}${ext}`), write(labels, planarImages(perBatch)));
  }
  const testLabels = Array.from({ length: test }, (_, i) => (i * 3) % 10);
  writeFileSync(join(folder, `test_batch${ext}`), write(testLabels, planarImages(test)));
}

/** BINUNICODE: UTF-8 text with a 4-byte length. */
function unicode(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const head = Buffer.alloc(5);
  head[0] = 0x58;
  head.writeUInt32LE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Python 2 bytes as Python 3 pickles them (protocol 2): _codecs.encode(latin-1 text, 'latin1'), memo 1 = encode. */
const bytes3 = (data: Uint8Array) =>
  Buffer.concat([
    Buffer.from([0x68, 0x01]),
    unicode(Buffer.from(data).toString('latin1')),
    Buffer.from([0x68, 0x02, 0x86, 0x52]),
  ]);

/**
 * The same batch after a Python 3 user loaded it (`encoding='bytes'`) and pickled it again with protocol 2, as
 * `pickletools.dis` shows: byte keys and the array's raw data become `_codecs.encode(text, 'latin1')` calls.
 */
export function cifarPython3Batch(labels: number[], planar: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from([0x80, 0x02, 0x7d, 0x28]), // PROTO 2, EMPTY_DICT, MARK
    Buffer.from('c_codecs\nencode\nq\x01', 'latin1'),
    unicode('data'),
    unicode('latin1'),
    Buffer.from([0x71, 0x02, 0x86, 0x52]), // BINPUT 2, TUPLE2, REDUCE: b'data'
    Buffer.from('cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n', 'latin1'),
    Buffer.from([0x4b, 0x00, 0x85]), // (0,)
    bytes3(Buffer.from('b')),
    Buffer.from([0x87, 0x52, 0x28, 0x4b, 0x01]), // TUPLE3 REDUCE MARK 1
    int(labels.length),
    Buffer.from([0x4d, 0x00, 0x0c, 0x86]), // 3072, TUPLE2
    Buffer.from('cnumpy\ndtype\n', 'latin1'),
    unicode('u1'),
    Buffer.from([0x89, 0x88, 0x87, 0x52, 0x28, 0x4b, 0x03]), // False, True, TUPLE3, REDUCE, MARK 3
    unicode('|'),
    Buffer.from([0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x62]),
    Buffer.from([0x89]), // NEWFALSE (not Fortran order)
    bytes3(planar),
    Buffer.from([0x74, 0x62]), // TUPLE (state), BUILD
    bytes3(Buffer.from('labels')),
    Buffer.from([0x5d, 0x28]), // EMPTY_LIST MARK
    ...labels.map(int),
    Buffer.from([0x65, 0x75, 0x2e]), // APPENDS SETITEMS STOP
  ]);
}
