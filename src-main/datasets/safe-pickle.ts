import { UserError } from '../api/errors';

/**
 * Reads the plain data in a Python pickle — dicts, lists, tuples, numbers, strings, bytes and numpy arrays —
 * without ever calling anything: the only "calls" it knows are the two numpy uses (array and dtype reconstruction),
 * recognised by name and rebuilt here as data. Any other global or opcode makes the file refused, so a hostile
 * pickle cannot run code. Enough for CIFAR-10's `cifar-10-batches-py` files, written by Python 2 and 3.
 */

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | NumpyArray
  | PickleGlobal
  | NumpyDtype;

export class NumpyArray {
  constructor(
    readonly shape: number[],
    readonly dtype: string,
    readonly data: Uint8Array,
  ) {}
}

class PickleGlobal {
  constructor(readonly name: string) {}
}

class NumpyDtype {
  constructor(readonly code: string) {}
}

/** A numpy array under construction: `_reconstruct` makes it empty, BUILD fills it in. */
class PendingArray {
  built: NumpyArray | undefined;
}

const allowedGlobals = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.ndarray',
  'numpy.dtype',
  // Protocol 5 (numpy >= 1.16): an array is _frombuffer(buffer, dtype, shape, order).
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  '_codecs.encode',
]);

const MARK = Symbol('mark');
type Slot = PickleValue | PendingArray | typeof MARK;

function bad(file: string, why: string): never {
  throw new UserError('file_error', `${file} is not a readable data pickle: ${why}.`);
}

export function readPickle(bytes: Uint8Array, file: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, Slot>();
  let at = 0;

  const need = (n: number) => {
    if (at + n > bytes.length) bad(file, 'it ends too early (truncated)');
  };
  const u8 = () => (need(1), bytes[at++]);
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2, true));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const i32 = () => (need(4), (at += 4), view.getInt32(at - 4, true));
  const take = (n: number) => (need(n), (at += n), bytes.subarray(at - n, at));
  const text = (n: number) => new TextDecoder().decode(take(n));
  const line = () => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) bad(file, 'a name is not terminated');
    const value = latin1String(bytes.subarray(at, end));
    at = end + 1;
    return value;
  };
  const pop = (): Slot => (stack.length === 0 ? bad(file, 'its data is malformed (empty stack)') : stack.pop()!);
  const popMark = (): Slot[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) bad(file, 'its data is malformed (no mark)');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const value = (slot: Slot): PickleValue => {
    if (slot === MARK) bad(file, 'its data is malformed (stray mark)');
    if (slot instanceof PendingArray) return slot.built ?? bad(file, 'an array was never filled in');
    return slot;
  };
  const top = () => stack[stack.length - 1];

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) bad(file, 'it uses an unknown pickle protocol');
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        return value(pop());
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([value(pop())]);
        break;
      case 0x86: {
        // TUPLE2
        const b = value(pop());
        stack.push([value(pop()), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = value(pop());
        const b = value(pop());
        stack.push([value(pop()), b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark().map(value));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1
        const n = u8();
        let v = 0n;
        const raw = take(n);
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
        if (n > 0 && raw[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x55: // SHORT_BINSTRING: a Python 2 str, here always a name (dict key, dtype code)
        stack.push(latin1String(take(u8())));
        break;
      case 0x54: {
        // BINSTRING: a long Python 2 str; in a data file that is raw array bytes, kept as bytes (no 30 MB string).
        const n = u32();
        stack.push(n > 255 ? take(n) : latin1String(take(n)));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8 (protocol 5: numpy's in-band array buffer)
        stack.push(take(Number(view.getBigUint64((need(8), (at += 8), at - 8), true))));
        break;
      case 0x98: // READONLY_BUFFER: bytes are read-only here anyway
        break;
      case 0x97: // NEXT_BUFFER
        bad(file, 'its arrays were saved out-of-band (pickle buffers kept outside the file)');
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) bad(file, 'it refers to a value that was never stored');
        stack.push(memo.get(key)!);
        break;
      }
      case 0x61: {
        // APPEND
        const item = value(pop());
        const list = value(pop());
        if (!Array.isArray(list)) bad(file, 'it appends to something that is not a list');
        list.push(item);
        stack.push(list);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark().map(value);
        const list = value(top() ?? bad(file, 'empty stack'));
        if (!Array.isArray(list)) bad(file, 'it appends to something that is not a list');
        // One at a time: spreading millions of items into push() overflows the call stack.
        for (const item of items) list.push(item);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = value(pop());
        const k = value(pop());
        const dict = value(top() ?? bad(file, 'empty stack'));
        if (!(dict instanceof Map)) bad(file, 'it sets an item on something that is not a dict');
        dict.set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark().map(value);
        const dict = value(top() ?? bad(file, 'empty stack'));
        if (!(dict instanceof Map) || items.length % 2) bad(file, 'its dict items are malformed');
        for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
        break;
      }
      case 0x63: {
        // GLOBAL
        const name = `${line()}.${line()}`;
        if (!allowedGlobals.has(name)) bad(file, `it asks to run "${name}", which a data file never needs (refused)`);
        stack.push(new PickleGlobal(name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = value(pop());
        const module = value(pop());
        const full = `${String(module)}.${String(name)}`;
        if (!allowedGlobals.has(full)) bad(file, `it asks to run "${full}", which a data file never needs (refused)`);
        stack.push(new PickleGlobal(full));
        break;
      }
      case 0x52: {
        // REDUCE: only the allowed numpy/codecs constructors, rebuilt as data.
        const args = value(pop());
        const callable = value(pop());
        if (!(callable instanceof PickleGlobal) || !Array.isArray(args))
          bad(file, 'it calls something that is not allowed');
        if (callable.name.endsWith('_reconstruct')) stack.push(new PendingArray());
        else if (callable.name.endsWith('._frombuffer')) stack.push(arrayFromBuffer(file, args));
        else if (callable.name === 'numpy.dtype') stack.push(new NumpyDtype(String(args[0])));
        else if (callable.name === '_codecs.encode') {
          // Python 3 pickles bytes from Python 2 as _codecs.encode(text, 'latin1').
          const [data] = args;
          if (typeof data !== 'string') bad(file, 'its encoded bytes are malformed');
          stack.push(latin1Bytes(file, data));
        } else bad(file, `it calls "${callable.name}" directly`);
        break;
      }
      case 0x62: {
        // BUILD: fills in a numpy array (or dtype) from its state tuple.
        const state = value(pop());
        const target = top();
        if (target instanceof PendingArray) {
          if (!Array.isArray(state) || state.length < 5) bad(file, 'a numpy array has malformed state');
          const [, shape, dtype, , raw] = state;
          if (!Array.isArray(shape) || !(dtype instanceof NumpyDtype)) bad(file, 'a numpy array has malformed state');
          const data = typeof raw === 'string' ? latin1Bytes(file, raw) : raw;
          if (!(data instanceof Uint8Array)) bad(file, 'a numpy array has no raw data');
          target.built = new NumpyArray(shape.map(Number), dtype.code, data);
        } else if (!(target instanceof NumpyDtype)) {
          bad(file, 'it sets state on an object it cannot have');
        }
        break;
      }
      default:
        bad(file, `it uses pickle opcode 0x${op.toString(16)}, which plain data never needs`);
    }
  }
}

/** numpy's protocol-5 array: _frombuffer(buffer, dtype, shape, order), rebuilt as data. */
function arrayFromBuffer(file: string, args: PickleValue[]): NumpyArray {
  const [data, dtype, shape, order] = args;
  if (!(data instanceof Uint8Array) || !(dtype instanceof NumpyDtype) || !Array.isArray(shape)) {
    bad(file, 'a numpy array has malformed state');
  }
  if (order !== 'C' && shape.length > 1)
    bad(file, `a numpy array is stored in ${String(order)} order; only C order is read`);
  return new NumpyArray(shape.map(Number), dtype.code, data);
}

/**
 * Python 2 byte strings and latin-1 text, one character per byte, both ways. Buffer converts natively (75 ms for a
 * CIFAR batch's 30 MB, where a per-character callback took 10 s); a character over 0xFF cannot be latin-1 and would
 * otherwise be truncated.
 */
function latin1Bytes(file: string, text: string): Uint8Array {
  if (/[\u0100-\uffff]/.test(text)) bad(file, 'its encoded bytes are not latin-1');
  return Buffer.from(text, 'latin1');
}

function latin1String(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
}
