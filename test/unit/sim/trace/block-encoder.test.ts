// Goal: the hand-written block encoder is wire-compatible with the generated protobuf decoder for any
// column contents, including zero, huge and negative values. Method: fast-check columns, encode, decode.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteSink, Column, nameField, packedField } from "../../../../src/sim/trace/block-encoder.js";
import { osvsim } from "../../../../src/sim/trace/protobuf.js";

const unsigned = fc.oneof(fc.nat(200), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const signed = fc.oneof(
  fc.integer({ min: -200, max: 200 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);

function column(values: number[]): Column {
  const c = new Column();
  for (const v of values) c.push(v);
  return c;
}

describe("block encoder", () => {
  it("round-trips packed columns and names through the generated decoder", () => {
    fc.assert(
      fc.property(
        fc.array(unsigned, { maxLength: 300 }),
        fc.array(signed, { maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(5000), fc.string()), { maxLength: 5 }),
        (times, values, names) => {
          const out = new ByteSink();
          packedField(out, 1, column(times), false);
          packedField(out, 4, column(values), true);
          for (const [id, name] of names) nameField(out, 9, id, name);
          const decoded = osvsim.trace.Block.decode(out.bytes.subarray(0, out.length));
          expect(decoded.timeDeltaNs).toEqual(times);
          expect(decoded.value).toEqual(values);
          expect(decoded.newRunners.map((n) => [n.id, n.name])).toEqual(names);
        },
      ),
      { numRuns: 300 },
    );
  });
});
