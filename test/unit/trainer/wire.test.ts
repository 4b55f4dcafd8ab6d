import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../src-main/trainer/wire';

/** The frames a run host and a trainer core in another process exchange (Electron MessagePort or WebSocket). */
describe('trainer wire frames', () => {
  it('carry a message with its buffers, typed arrays and nested data, exactly', () => {
    const pixels = Uint8Array.from({ length: 1001 }, (_, i) => i % 251);
    const message = {
      id: 7,
      method: 'init',
      args: [
        { config: { seed: 3, name: 'Ünïcode ✓' }, nothing: null, flag: true },
        { train: pixels, test: new Uint8Array(0), positions: Int32Array.of(-1, 5, 2 ** 31 - 1) },
        new Float32Array([0.1, -2.5e-8, Number.MAX_VALUE]),
        Float64Array.of(Math.PI),
        new Uint8Array([1, 2, 3]).buffer,
      ],
    };
    const decoded = decodeFrame(encodeFrame(message)) as typeof message;
    expect(decoded).toEqual(message);
    const [, data, floats, doubles, raw] = decoded.args as [
      unknown,
      { train: Uint8Array; positions: Int32Array },
      Float32Array,
      Float64Array,
      ArrayBuffer,
    ];
    expect(data.train).toBeInstanceOf(Uint8Array);
    expect(data.positions).toBeInstanceOf(Int32Array);
    expect(floats).toBeInstanceOf(Float32Array);
    expect(doubles).toBeInstanceOf(Float64Array);
    expect(raw).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(raw)]).toEqual([1, 2, 3]);
  });

  it('send a view of part of a buffer as only that part, and take Node Buffers as bytes', () => {
    const whole = Float32Array.from({ length: 10 }, (_, i) => i);
    const decoded = decodeFrame(encodeFrame({ part: whole.subarray(3, 6), node: Buffer.from('hi') })) as {
      part: Float32Array;
      node: Uint8Array;
    };
    expect([...decoded.part]).toEqual([3, 4, 5]);
    expect(decoded.part.buffer.byteLength).toBe(12);
    expect([...decoded.node]).toEqual([104, 105]);
  });

  it('decode from a view into a larger buffer, as a WebSocket hands them over', () => {
    const frame = new Uint8Array(encodeFrame({ loss: 0.25, weights: new Float32Array([1, 2]) }));
    const padded = new Uint8Array(frame.length + 16);
    padded.set(frame, 8);
    expect(decodeFrame(padded.subarray(8, 8 + frame.length))).toEqual({
      loss: 0.25,
      weights: new Float32Array([1, 2]),
    });
  });

  it('refuse a frame cut short or naming a buffer it does not hold, in words', () => {
    const frame = new Uint8Array(encodeFrame({ data: new Uint8Array(100) }));
    expect(() => decodeFrame(frame.subarray(0, 2))).toThrow('A trainer message was cut short.');
    expect(() => decodeFrame(frame.subarray(0, frame.length - 10))).toThrow('A trainer message was cut short.');
    const lying = new Uint8Array(encodeFrame({ data: { $buffer: 3 } }));
    expect(() => decodeFrame(lying)).toThrow('A trainer message names a buffer it does not hold.');
    expect(() => encodeFrame({ bad: new Int16Array(2) })).toThrow('Cannot send a Int16Array to the trainer.');
  });
});
