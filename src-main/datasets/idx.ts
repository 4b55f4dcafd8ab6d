import { gunzipSync } from 'node:zlib';
import { UserError } from '../api/errors';

/** A parsed IDX file (the MNIST family's format): big-endian header, then raw unsigned bytes. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses IDX bytes, gunzipping first when the gzip magic is present. Only the unsigned-byte type is accepted. */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  let raw = bytes;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw);
    } catch (err) {
      throw new UserError('file_error', `${fileName} is a damaged gzip file (${(err as Error).message}).`);
    }
  }
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
  const expected = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dims;
  if (raw.length - start < expected) {
    throw new UserError(
      'file_error',
      `${fileName} is truncated: its header promises ${expected} bytes of data but only ${raw.length - start} are present.`,
    );
  }
  // A plain Uint8Array view (not a Buffer), so callers see one type whether or not the file was gzipped.
  return { shape, data: new Uint8Array(raw.buffer, raw.byteOffset + start, expected) };
}
