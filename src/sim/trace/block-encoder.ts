// A hand-written encoder for trace Blocks: the columns live in typed arrays and are written straight
// into a byte buffer as protobuf packed fields, wire-compatible with trace.proto (the reader decodes
// them with the generated code). protobufjs's general writer built an operation list per value and
// made recording cost about as much as the run itself.

const TWO_POW_32 = 4294967296;

/** Writes `n` (a non-negative safe integer) as a varint at `at`; answers the next position. */
function writeVarint(bytes: Uint8Array, at: number, n: number): number {
  // Most values are small, so the first loop rarely runs.
  while (n >= 0x80000000) {
    bytes[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  while (n >= 0x80) {
    bytes[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  bytes[at++] = n;
  return at;
}

export class ByteSink {
  bytes: Uint8Array;
  length = 0;

  constructor(initialBytes = 256) {
    this.bytes = new Uint8Array(initialBytes);
  }

  /** Makes room for `extra` more bytes (callers writing `bytes` directly must call this first). */
  reserve(extra: number): void {
    this.ensure(extra);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const bigger = new Uint8Array(capacity);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  /** A non-negative safe integer as a varint. */
  varint(n: number): void {
    this.ensure(10);
    this.length = writeVarint(this.bytes, this.length, n);
  }

  /** A signed safe integer, zigzag-encoded (sint64). */
  zigzag(n: number): void {
    if (n >= 0 && n < 2 ** 52) this.varint(n * 2);
    else if (n < 0 && n > -(2 ** 52)) this.varint(-n * 2 - 1);
    else {
      const big = BigInt(n);
      const encoded = big >= 0n ? big << 1n : (-big << 1n) - 1n;
      const low = Number(encoded & 0xffffffffn);
      const high = Number(encoded >> 32n);
      // Write the 64-bit value seven bits at a time.
      let value = BigInt(high) * BigInt(TWO_POW_32) + BigInt(low);
      while (value >= 0x80n) {
        this.raw(Number(value & 0x7fn) | 0x80);
        value >>= 7n;
      }
      this.raw(Number(value));
    }
  }

  raw(byte: number): void {
    this.ensure(1);
    this.bytes[this.length++] = byte;
  }

  append(other: ByteSink): void {
    this.ensure(other.length);
    this.bytes.set(other.bytes.subarray(0, other.length), this.length);
    this.length += other.length;
  }

  string(fieldTag: number, text: string): void {
    const utf8 = new TextEncoder().encode(text);
    this.raw(fieldTag);
    this.varint(utf8.length);
    this.ensure(utf8.length);
    this.bytes.set(utf8, this.length);
    this.length += utf8.length;
  }

  clear(): void {
    this.length = 0;
  }
}

/** A growable column of numbers. */
export class Column {
  values = new Float64Array(4096);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  clear(): void {
    this.length = 0;
  }
}

const scratch = new ByteSink(1 << 16);
const nameScratch = new ByteSink();

/** Writes `column` as packed field `field` (wire type 2), as varints or zigzag varints. */
export function packedField(out: ByteSink, field: number, column: Column, signed: boolean): void {
  const count = column.length;
  if (count === 0) return;
  scratch.clear();
  scratch.reserve(count * 10);
  const values = column.values;
  const bytes = scratch.bytes;
  let at = 0;
  for (let i = 0; i < count; i++) {
    let n = values[i]!;
    if (signed) {
      if (!(n > -(2 ** 52) && n < 2 ** 52)) {
        // Rare: beyond 52 bits, take the general path.
        scratch.length = at;
        scratch.zigzag(n);
        at = scratch.length;
        continue;
      }
      n = n >= 0 ? n * 2 : -n * 2 - 1;
    }
    at = writeVarint(bytes, at, n);
  }
  scratch.length = at;
  out.varint((field << 3) | 2);
  out.varint(scratch.length);
  out.append(scratch);
}

/** A `Name {id, name}` message as field `field`. */
export function nameField(out: ByteSink, field: number, id: number, name: string): void {
  const inner = nameScratch;
  inner.clear();
  inner.raw(0x08);
  inner.varint(id);
  inner.string(0x12, name);
  out.varint((field << 3) | 2);
  out.varint(inner.length);
  out.append(inner);
}
