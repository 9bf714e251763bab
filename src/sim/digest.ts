// A rolling 64-bit hash over every dispatched event and every choice, kept as two 32-bit lanes
// (murmur3-style mixing) so it is cheap in the engine loop. Two runs that dispatch the same events
// and make the same choices have the same digest; traces store it periodically so a replay can name
// the first record where two runs part.

const TWO_POW_32 = 4294967296;

export class Digest {
  /** The two lanes, h1 and h2, as raw int32s (object fields would box them as heap numbers). */
  private readonly lanes = Int32Array.of(0x243f6a88, 0x85a308d3 | 0);

  /** Mixes one 32-bit word (any integer; only its low 32 bits count). */
  word(w: number): void {
    const lanes = this.lanes;
    let k = Math.imul(w | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h1 = lanes[0]! ^ k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    lanes[0] = h1;
    let h2 = lanes[1]! ^ Math.imul(k ^ h1, 0x9e3779b1);
    h2 = (h2 << 17) | (h2 >>> 15);
    lanes[1] = Math.imul(h2, 0x85ebca77) + 0x27d4eb2f;
  }

  /** Mixes a non-negative safe integer (such as a virtual time) as its low and high words. */
  safeInteger(n: number): void {
    this.word(n >>> 0);
    this.word(Math.floor(n / TWO_POW_32));
  }

  /** Mixes a string's UTF-16 code units and its length. */
  text(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  /** The current value as 16 lowercase hex digits. */
  hex(): string {
    const lanes = this.lanes;
    return (lanes[0]! >>> 0).toString(16).padStart(8, "0") + (lanes[1]! >>> 0).toString(16).padStart(8, "0");
  }

  /** The current value as two unsigned 32-bit halves (for binary trace records). */
  halves(): [number, number] {
    return [this.lanes[0]! >>> 0, this.lanes[1]! >>> 0];
  }
}
