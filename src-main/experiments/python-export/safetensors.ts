/**
 * Writes the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON naming each tensor's dtype, shape and [begin, end) byte offsets into the data that follows, then
 * the raw little-endian tensors back to back. No npm library writes it (the one maintained package is Python and
 * Rust), and the whole format is this one function. The header is padded with spaces to a multiple of 8 bytes, as
 * the reference writer does, so every tensor starts aligned.
 */
export interface SafeTensor {
  name: string;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

const dtypeOf = (data: SafeTensor['data']) => (data instanceof Float32Array ? 'F32' : 'I64');

export function encodeSafetensors(tensors: SafeTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const { name, shape, data } of tensors) {
    if (name in header) throw new Error(`Two tensors are named ${name}.`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`${name} has ${data.length} values for shape [${shape.join(', ')}].`);
    header[name] = { dtype: dtypeOf(data), shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, ' ')]);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let at = 8 + json.length;
  for (const { data } of tensors) {
    // Typed arrays are in the machine's byte order; every platform Electron runs on is little-endian, as the format is.
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    at += data.byteLength;
  }
  return out;
}
