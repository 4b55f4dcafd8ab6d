/**
 * Messages between a run host and a trainer core in another process, as one binary frame each: the message as JSON,
 * with every ArrayBuffer and typed array in it carried as raw bytes after the JSON (a dataset of 50 MB as base64 JSON
 * would be 67 MB and slow to parse). The same frames travel over an Electron MessagePort and over a WebSocket, so the
 * transports only move bytes and never look inside.
 *
 * Frame: [u32 JSON byte length][JSON][padding to 8][for each buffer: u32 byte length, u32 zero, bytes, padding to 8].
 * Little-endian, as every platform we ship on.
 */

const typedArrays = {
  Uint8Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedArrayName = keyof typeof typedArrays;

/** Where a buffer stood in the message: its index after the JSON, and the typed array it was (none: ArrayBuffer). */
interface BufferMark {
  $buffer: number;
  view?: TypedArrayName;
}

const align = (n: number) => (n + 7) & ~7;

function isBufferMark(value: unknown): value is BufferMark {
  return typeof value === 'object' && value !== null && typeof (value as BufferMark).$buffer === 'number';
}

function viewName(value: ArrayBufferView): TypedArrayName | null {
  // By instanceof, so a Node Buffer (a Uint8Array) is one too.
  const names = Object.keys(typedArrays) as TypedArrayName[];
  return names.find((name) => value instanceof typedArrays[name]) ?? null;
}

/** One message as one frame. Typed arrays must be Uint8, Int32, Float32 or Float64 arrays. */
export function encodeFrame(message: unknown): ArrayBuffer {
  const buffers: Uint8Array[] = [];
  // `this[key]`, not `value`: JSON.stringify has already applied toJSON (a Node Buffer's makes a number array).
  const json = JSON.stringify(message, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (original instanceof ArrayBuffer) {
      buffers.push(new Uint8Array(original));
      return { $buffer: buffers.length - 1 } satisfies BufferMark;
    }
    if (ArrayBuffer.isView(original)) {
      const view = viewName(original);
      if (!view) throw new TypeError(`Cannot send a ${original.constructor.name} to the trainer.`);
      buffers.push(new Uint8Array(original.buffer, original.byteOffset, original.byteLength));
      return { $buffer: buffers.length - 1, view } satisfies BufferMark;
    }
    return value;
  });
  const text = new TextEncoder().encode(json);
  let size = align(4 + text.length);
  for (const buffer of buffers) size += 8 + align(buffer.length);
  const frame = new ArrayBuffer(size);
  const bytes = new Uint8Array(frame);
  const header = new DataView(frame);
  header.setUint32(0, text.length, true);
  bytes.set(text, 4);
  let offset = align(4 + text.length);
  for (const buffer of buffers) {
    header.setUint32(offset, buffer.length, true);
    bytes.set(buffer, offset + 8);
    offset += 8 + align(buffer.length);
  }
  return frame;
}

/** The message a frame holds; its buffers are copies that own their memory (so they can be transferred on). */
export function decodeFrame(frame: ArrayBuffer | ArrayBufferView): unknown {
  const bytes = ArrayBuffer.isView(frame)
    ? new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
    : new Uint8Array(frame);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new Error('A trainer message was cut short.');
  const textLength = view.getUint32(0, true);
  if (4 + textLength > bytes.length) throw new Error('A trainer message was cut short.');
  const json = new TextDecoder().decode(bytes.subarray(4, 4 + textLength));
  const buffers: ArrayBuffer[] = [];
  let offset = align(4 + textLength);
  while (offset < bytes.length) {
    const length = view.getUint32(offset, true);
    if (offset + 8 + length > bytes.length) throw new Error('A trainer message was cut short.');
    buffers.push(bytes.slice(offset + 8, offset + 8 + length).buffer);
    offset += 8 + align(length);
  }
  return JSON.parse(json, (_key, value: unknown) => {
    if (!isBufferMark(value)) return value;
    const buffer = buffers[value.$buffer];
    if (!buffer) throw new Error('A trainer message names a buffer it does not hold.');
    return value.view ? new typedArrays[value.view](buffer) : buffer;
  });
}

/**
 * A two-way connection that carries frames: an Electron MessagePort, a DOM MessagePort or a WebSocket. `onClose`
 * fires once when the other end is gone (its process crashed, its window closed), with the reason in words.
 */
export interface FramePort {
  send(frame: ArrayBuffer): void;
  onFrame(listener: (frame: ArrayBuffer) => void): void;
  onClose(listener: (reason: string) => void): void;
  close(): void;
}
