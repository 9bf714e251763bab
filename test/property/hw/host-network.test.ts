// Goal: the host network's delivery guarantees — without faults every frame arrives once and in
// order; with loss, duplication, reordering and partitions nothing arrives that was not sent (at most
// twice); a partition heals when its duration ends. Method: fast-check generates send schedules,
// link fault settings and choice sequences; peers record what they receive.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type HostLinkOptions, HostNetwork, type HostPeer, type LinkFault } from "../../../src/hw/index.js";
import { SequenceStrategy, Simulation, type TimedHandler } from "../../../src/sim/index.js";

const MAC = [0x020000000001, 0x020000000002, 0x020000000003];

function frame(to: number, from: number, seq: number, payloadBytes: number): Uint8Array {
  const bytes = new Uint8Array(14 + 4 + payloadBytes);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, Math.floor(MAC[to]! / 2 ** 32));
  view.setUint32(2, MAC[to]! % 2 ** 32);
  view.setUint16(6, Math.floor(MAC[from]! / 2 ** 32));
  view.setUint32(8, MAC[from]! % 2 ** 32);
  view.setUint16(12, 0x88b5);
  view.setUint32(14, seq);
  for (let i = 0; i < payloadBytes; i++) bytes[18 + i] = (seq * 31 + i) & 0xff;
  return bytes;
}
const seqOf = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(14);

class Recorder implements HostPeer {
  readonly got: Uint8Array[] = [];
  constructor(readonly name: string) {}
  receive(f: Uint8Array): void {
    this.got.push(f);
  }
}

interface Send {
  gapNs: number;
  from: number;
  payloadBytes: number;
}

/** Runs the sends (from peer 0 or 1 to the other); answers the peers, the sent frames and the network. */
function runNetwork(
  values: readonly number[],
  sends: readonly Send[],
  link: Partial<HostLinkOptions>,
  before?: (net: HostNetwork) => void,
) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const net = new HostNetwork(sim);
  const peers = [new Recorder("a"), new Recorder("b"), new Recorder("c")];
  const ports = peers.map((p) => net.attach(p, link));
  before?.(net);
  const sent: { frame: Uint8Array; atNs: number; from: number }[] = [];
  let index = 0;
  const sender: TimedHandler = {
    kind: sim.kinds.allocate("sender"),
    id: 0,
    fire: () => {
      const s = sends[index]!;
      const f = frame(1 - s.from, s.from, index, s.payloadBytes);
      sent.push({ frame: f, atNs: sim.now, from: s.from });
      ports[s.from]!.send(f);
      if (++index < sends.length) sim.at(sim.now + sends[index]!.gapNs, sender, 0);
    },
  };
  // Both stations announce themselves first, so the switch forwards unicast to one port.
  ports[0]!.send(frame(1, 0, 0xffffffff, 0));
  ports[1]!.send(frame(0, 1, 0xffffffff, 0));
  if (sends.length > 0) sim.at(sends[0]!.gapNs, sender, 0);
  expect(sim.run().outcome).toBe("ok");
  const received = peers.map((p) => p.got.filter((f) => seqOf(f) !== 0xffffffff));
  return { received, sent, net };
}

const sendsArb = fc.array(
  fc.record({ gapNs: fc.nat({ max: 30_000 }), from: fc.nat({ max: 1 }), payloadBytes: fc.nat({ max: 64 }) }),
  { minLength: 1, maxLength: 60 },
);
const valuesArb = fc.array(fc.nat({ max: 100_000 }), { maxLength: 400, size: "max" });
const faultArb: fc.Arbitrary<LinkFault> = fc.record({
  probability: fc.constantFrom(0, 0.1, 0.5),
  durationNs: fc.constantFrom(0, 10_000, 200_000),
});

describe("host network", () => {
  it("without faults delivers every frame exactly once and in order per path", () => {
    fc.assert(
      fc.property(valuesArb, sendsArb, fc.nat({ max: 50_000 }), (values, sends, jitterNs) => {
        const { received, sent } = runNetwork(values, sends, { jitterNs });
        for (const to of [0, 1]) {
          const expected = sent.filter((s) => s.from === 1 - to).map((s) => [...s.frame]);
          expect(received[to]!.map((f) => [...f])).toEqual(expected);
        }
        expect(received[2]).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("with faults delivers nothing that was not sent, and nothing more than twice", () => {
    const totals = { lost: 0, duplicated: 0, reordered: 0, partitioned: 0, outOfOrder: 0 };
    fc.assert(
      fc.property(
        valuesArb,
        sendsArb,
        faultArb,
        faultArb,
        faultArb,
        faultArb,
        (values, sends, loss, duplication, reordering, partition) => {
          const { received, sent, net } = runNetwork(values, sends, {
            loss,
            duplication,
            reordering,
            partition,
          });
          for (const to of [0, 1]) {
            const counts = new Map<number, number>();
            let last = -1;
            for (const f of received[to]!) {
              const seq = seqOf(f);
              const original = sent[seq];
              expect(original?.from).toBe(1 - to);
              expect([...f]).toEqual([...original!.frame]);
              counts.set(seq, (counts.get(seq) ?? 0) + 1);
              if (seq < last) totals.outOfOrder++;
              last = seq;
            }
            for (const n of counts.values()) expect(n).toBeLessThanOrEqual(2);
          }
          for (const key of ["lost", "duplicated", "reordered", "partitioned"] as const)
            totals[key] += net.stats[key];
        },
      ),
      { numRuns: 300 },
    );
    // Each fault actually fired somewhere, and reordering showed up at a receiver.
    expect(totals.lost).toBeGreaterThan(0);
    expect(totals.duplicated).toBeGreaterThan(0);
    expect(totals.partitioned).toBeGreaterThan(0);
    expect(totals.outOfOrder).toBeGreaterThan(0);
  });

  it("a partition drops frames while in force and heals when its duration ends", () => {
    fc.assert(
      fc.property(valuesArb, sendsArb, fc.integer({ min: 1, max: 500_000 }), (values, sends, durationNs) => {
        // The last send comes after the partition's end, so healing is observed.
        const all = [...sends, { gapNs: durationNs, from: 0, payloadBytes: 1 }];
        const { received, sent, net } = runNetwork(values, all, {}, (n) => n.partition(0, durationNs));
        expect(net.isPartitioned(0)).toBe(false);
        expect(received[1]!.map(seqOf)).toContain(all.length - 1);
        for (const to of [0, 1]) {
          const expected = sent
            .filter((s) => s.from === 1 - to && s.atNs >= durationNs)
            .map((s) => [...s.frame]);
          expect(received[to]!.map((f) => [...f])).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
