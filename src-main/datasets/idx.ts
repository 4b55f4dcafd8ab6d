import { constants, gunzipSync } from 'node:zlib';
import { UserError } from '../api/errors';

/** A parsed IDX file (the MNIST family's format): big-endian header, then raw unsigned bytes. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/**
 * The most an IDX file may hold once unpacked (2 GiB; EMNIST's largest file is 0.55 GB): beyond it the pixels would
 * not fit in memory beside the app, and a gzip bomb stops here at worst.
 */
export const maxIdxBytes = 2 ** 31;

/** Parses IDX bytes, gunzipping first when the gzip magic is present. Only the unsigned-byte type is accepted. */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const raw = gzipped ? gunzipIdx(bytes, fileName) : bytes;
  const { shape, start, size } = readHeader(raw, fileName);
  if (raw.length - start < size) {
    throw new UserError(
      'file_error',
      `${fileName} is truncated: its header promises ${size} bytes of data but only ${raw.length - start} are present.`,
    );
  }
  // A plain Uint8Array view (not a Buffer), so callers see one type whether or not the file was gzipped.
  return { shape, data: new Uint8Array(raw.buffer, raw.byteOffset + start, size) };
}

function readHeader(raw: Uint8Array, fileName: string): { shape: number[]; start: number; size: number } {
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new UserError('file_error', `${fileName} is not an IDX file (its first bytes are not the IDX magic number).`);
  }
  if (raw[2] !== UNSIGNED_BYTE) {
    throw new UserError(
      'file_error',
      `${fileName} stores type 0x${raw[2].toString(16)}; only unsigned-byte IDX files are supported.`,
    );
  }
  const dims = raw[3];
  if (dims < 1 || dims > 4 || raw.length < 4 + 4 * dims) {
    throw new UserError('file_error', `${fileName} has a truncated or invalid IDX header.`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dims;
  if (start + size > maxIdxBytes) {
    throw new UserError(
      'file_error',
      `${fileName} declares ${shape.join(' x ')} values (${(size / 1e9).toFixed(1)} GB), more than the ` +
        `${(maxIdxBytes / 1e9).toFixed(1)} GB an IDX file may hold here.`,
    );
  }
  return { shape, start, size };
}

/**
 * Unpacks a gzipped IDX file to exactly the size its header declares, never more: the header comes first from the
 * start of the stream (1 KiB of deflate unpacks to at most about 1 MiB), then the whole file with that output cap.
 */
function gunzipIdx(bytes: Uint8Array, fileName: string): Uint8Array {
  const damaged = (err: unknown) =>
    new UserError('file_error', `${fileName} is a damaged gzip file (${(err as Error).message}).`);
  let head: Buffer;
  try {
    head = gunzipSync(bytes.subarray(0, 1024), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (err) {
    throw damaged(err);
  }
  if (head.length < 20) {
    // Too little came out of the start: a tiny file, or a damaged one, which only a full read can tell apart.
    try {
      head = gunzipSync(bytes, { maxOutputLength: 1 << 20 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw damaged(err);
    }
  }
  const { start, size } = readHeader(head, fileName);
  try {
    return gunzipSync(bytes, { maxOutputLength: start + size });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(
        'file_error',
        `${fileName} unpacks to more data than its header declares (${start + size} bytes): it is damaged or not a real IDX file.`,
      );
    }
    throw damaged(err);
  }
}
