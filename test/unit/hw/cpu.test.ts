// Goal: the vCPU takes interrupts only with IF=1 and between steps, by priority class, conserves an
// interrupted compute, wakes from hlt, and switches contexts from the interrupt epilogue. Method: small
// guest programs on a zero-cost machine, with interrupts raised by timed events and the APIC timer.
import { describe, expect, it } from "vitest";
import {
  type CpuContext,
  cli,
  hlt,
  irqRestore,
  physLoad,
  pollExchange,
  rdtsc,
  SPURIOUS_VECTOR,
  sendIpi,
  sti,
  stiHlt,
  switchTo,
} from "../../../src/hw/index.js";
import {
  compute,
  deferredCompute,
  exchange,
  type Guest,
  load,
  Simulation,
  sleep,
  store,
} from "../../../src/sim/index.js";
import { context, zeroCostMachine } from "./helpers.js";

/** Raises `vector` on `cpu` of `machine` at `atNs` (a host-side timed event). */
function raiseAt(sim: Simulation, machine: ReturnType<typeof zeroCostMachine>, atNs: number, vector: number) {
  const kind = sim.kinds.allocate(`test_raise_${atNs}_${vector}`);
  sim.at(atNs, { kind, id: 0, fire: () => machine.interrupts.raise(0, vector) });
}

describe("Vcpu interrupts", () => {
  it("holds an interrupt while IF=0 and takes it right after sti", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const cpu = machine.cpus[0]!;
    const log: string[] = [];
    cpu.setInterruptHandler(0x40, (c) => {
      log.push(`irq@${sim.now}`);
      machine.apics[c.index]!.eoi();
      return undefined;
    });
    cpu.boot(
      context("thread", function* (): Guest<void> {
        yield cli();
        yield compute(1000);
        log.push(`sti@${sim.now}`);
        yield sti();
        log.push(`after@${sim.now}`);
      }),
    );
    raiseAt(sim, machine, 500, 0x40);
    expect(sim.run().outcome).toBe("ok");
    expect(log).toEqual(["sti@1000", "irq@1000", "after@1000"]);
    expect(cpu.stats.interruptsTaken[0x40]).toBe(1);
    expect(cpu.stats.interruptedComputes).toBe(0);
  });

  it("cuts a compute short and resumes it for exactly the remaining time", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cost: { interruptEntryNs: 30, interruptExitNs: 20 } });
    const cpu = machine.cpus[0]!;
    let handlerAt = -1;
    cpu.setInterruptHandler(0x40, function* () {
      handlerAt = sim.now;
      yield compute(200);
      machine.apics[0]!.eoi();
    });
    let endAt = -1;
    cpu.boot(
      context("thread", function* (): Guest<void> {
        yield compute(1000);
        endAt = sim.now;
      }),
    );
    raiseAt(sim, machine, 300, 0x40);
    expect(sim.run().outcome).toBe("ok");
    expect(handlerAt).toBe(330); // after the 30 ns entry
    expect(endAt).toBe(1000 + 30 + 200 + 20);
    expect(cpu.stats.interruptedComputes).toBe(1);
    expect(cpu.stats.busyNs).toBe(1250);
    expect(cpu.busyNsAt(sim.now)).toBe(1250);
  });

  it("busyNsAt counts only the part of a compute before a run's end, and halted time up to it", () => {
    function runUntil(untilNs: number) {
      const sim = new Simulation();
      const machine = zeroCostMachine(sim);
      const cpu = machine.cpus[0]!;
      cpu.setInterruptHandler(0x40, () => {
        machine.apics[0]!.eoi();
        return undefined;
      });
      // An interrupt due later keeps the halted CPU's run going past the halt.
      raiseAt(sim, machine, 5000, 0x40);
      cpu.boot(
        context("thread", function* (): Guest<void> {
          yield compute(1000);
          yield hlt();
        }),
      );
      sim.run({ untilNs });
      return { cpu, nowNs: sim.now };
    }
    const cut = runUntil(400);
    // The compute is counted whole when it starts; the report trims what lies after the end.
    expect(cut.cpu.stats.busyNs).toBe(1000);
    expect(cut.cpu.busyNsAt(cut.nowNs)).toBe(400);
    expect(cut.cpu.haltedNsAt(cut.nowNs)).toBe(0);
    const later = runUntil(1500);
    expect(later.cpu.busyNsAt(later.nowNs)).toBe(1000);
    expect(later.cpu.haltedNsAt(later.nowNs)).toBe(500);
  });

  it("busyNsAt counts compute jitter as busy time and never trims below zero", () => {
    let cut = 0;
    let finished = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const sim = new Simulation({ seed, computeJitter: { probability: 1, maxNs: 500 } });
      const cpu = zeroCostMachine(sim).cpus[0]!;
      let endAt = -1;
      cpu.boot(
        context("thread", function* (): Guest<void> {
          yield compute(1000);
          endAt = sim.now;
        }),
      );
      sim.run({ untilNs: 1200 });
      // Busy from 0 until the stretched compute ended, or until the run's end inside it.
      expect(cpu.busyNsAt(sim.now)).toBe(endAt < 0 ? 1200 : endAt);
      if (endAt < 0) cut++;
      else finished++;
    }
    expect(cut).toBeGreaterThan(0);
    expect(finished).toBeGreaterThan(0);
  });

  it("takes an interrupt raised during a visible effect after that effect, not before", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const cpu = machine.cpus[0]!;
    const log: string[] = [];
    cpu.setInterruptHandler(0x40, () => {
      log.push("irq");
      machine.apics[0]!.eoi();
      return undefined;
    });
    cpu.boot(
      context("thread", function* (): Guest<void> {
        // The raise happens while the load is pending (a timed event at the same instant fires first,
        // but the load was already issued): it is taken after the load completes.
        machine.interrupts.raise(0, 0x40);
        log.push("before-load");
        yield physLoad(0, 4);
        log.push("after-load");
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(log).toEqual(["before-load", "irq", "after-load"]);
  });

  it("nests by priority class: a higher class preempts a handler with IF=1, a lower waits for EOI", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const cpu = machine.cpus[0]!;
    const log: string[] = [];
    const handler = (name: string, workNs: number, enable: boolean) =>
      function* (): Guest<void> {
        log.push(`${name}+${sim.now}`);
        if (enable) yield sti();
        yield compute(workNs);
        log.push(`${name}-${sim.now}`);
        yield cli();
        machine.apics[0]!.eoi();
      };
    cpu.setInterruptHandler(0x40, handler("c4", 1000, true));
    cpu.setInterruptHandler(0x31, handler("c3", 100, false));
    cpu.setInterruptHandler(0x4f, handler("c4b", 100, false));
    cpu.setInterruptHandler(0x50, handler("c5", 100, false));
    cpu.boot(
      context("thread", function* (): Guest<void> {
        yield compute(5000);
      }),
    );
    raiseAt(sim, machine, 100, 0x40);
    raiseAt(sim, machine, 200, 0x31); // lower class: waits
    raiseAt(sim, machine, 300, 0x4f); // same class as in service: waits
    raiseAt(sim, machine, 400, 0x50); // higher class: nests at once
    expect(sim.run().outcome).toBe("ok");
    expect(log).toEqual([
      "c4+100",
      "c5+400",
      "c5-500",
      "c4-1200",
      // After c4's EOI and iret, the highest pending vector goes first.
      "c4b+1200",
      "c4b-1300",
      "c3+1300",
      "c3-1400",
    ]);
    expect(cpu.isInService(0x40)).toBe(false);
  });

  it("a handler that never EOIs blocks its class and below", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const cpu = machine.cpus[0]!;
    let taken = 0;
    cpu.setInterruptHandler(0x40, () => {
      taken++;
      return undefined;
    });
    cpu.boot(
      context("thread", function* (): Guest<void> {
        yield compute(1000);
      }),
    );
    raiseAt(sim, machine, 100, 0x40);
    raiseAt(sim, machine, 200, 0x40);
    expect(sim.run().outcome).toBe("ok");
    expect(taken).toBe(1);
    expect(cpu.isPending(0x40)).toBe(true);
    expect(cpu.isInService(0x40)).toBe(true);
  });

  it("cli answers the previous IF so irqRestore can nest irq_save sections", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const cpu = machine.cpus[0]!;
    const seen: (number | boolean)[] = [];
    cpu.boot(
      context("thread", function* (): Guest<void> {
        const outer = yield cli();
        const inner = yield cli();
        seen.push(outer, inner);
        yield irqRestore(inner);
        seen.push(cpu.interruptsEnabled);
        yield irqRestore(outer);
        seen.push(cpu.interruptsEnabled);
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(seen).toEqual([1, 0, false, true]);
  });

  it("fails the run on an interrupt with no handler", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    machine.cpus[0]!.boot(
      context("thread", function* (): Guest<void> {
        yield compute(1000);
      }),
    );
    raiseAt(sim, machine, 10, 0x60);
    const result = sim.run();
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("vcpu.unexpected_interrupt");
  });

  it("refuses engine-only effects that make no sense on a CPU", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    machine.cpus[0]!.boot(
      context("thread", function* (): Guest<void> {
        yield sleep(10);
      }),
    );
    expect(() => sim.run()).toThrow(/cannot sleep/);
  });
});

describe("Vcpu hlt", () => {
  it("sleeps until an interrupt, which runs before hlt returns; halted time is counted", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cost: { haltWakeNs: 7 } });
    const cpu = machine.cpus[0]!;
    const log: string[] = [];
    cpu.setInterruptHandler(0x40, () => {
      log.push(`irq@${sim.now}`);
      machine.apics[0]!.eoi();
      return undefined;
    });
    cpu.boot(
      context("idle", function* (): Guest<void> {
        yield cli();
        machine.apics[0]!.writeLvtTimer(0x40, false);
        machine.apics[0]!.writeInitialCount(5000);
        yield stiHlt();
        log.push(`woke@${sim.now}`);
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(log).toEqual(["irq@5007", "woke@5007"]);
    expect(cpu.stats.haltedNs).toBe(5000);
  });

  it("sti;hlt does not halt when an interrupt is already pending (no lost wake-up)", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const cpu = machine.cpus[0]!;
    let taken = 0;
    cpu.setInterruptHandler(0x40, () => {
      taken++;
      machine.apics[0]!.eoi();
      return undefined;
    });
    let endAt = -1;
    cpu.boot(
      context("idle", function* (): Guest<void> {
        yield cli();
        yield compute(100);
        machine.interrupts.raise(0, 0x40);
        yield stiHlt();
        endAt = sim.now;
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect([taken, endAt, cpu.stats.haltedNs]).toEqual([1, 100, 0]);
  });

  it("an idle halted CPU is not a deadlock, but hlt with IF=0 is", () => {
    const idle = new Simulation();
    zeroCostMachine(idle).cpus[0]!.boot(
      context("idle", function* (): Guest<void> {
        yield stiHlt();
      }),
    );
    expect(idle.run().outcome).toBe("ok");

    const stuck = new Simulation();
    zeroCostMachine(stuck).cpus[0]!.boot(
      context("stuck", function* (): Guest<void> {
        yield cli();
        yield hlt();
      }),
    );
    const result = stuck.run();
    expect(result.outcome).toBe("deadlock");
    expect(result.reason).toMatch(/cpu0/);
  });

  it("a spurious interrupt wakes a halted CPU and needs no EOI", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { apic: { spuriousRatio: 1 } });
    const cpu = machine.cpus[0]!;
    let exits = 0;
    cpu.hooks.onInterruptExit = () => {
      exits++;
      return null;
    };
    cpu.boot(
      context("idle", function* (): Guest<void> {
        machine.apics[0]!.writeLvtTimer(0x40, true); // masked: only the spurious one arrives
        machine.apics[0]!.writeInitialCount(100);
        yield stiHlt();
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(cpu.stats.interruptsTaken[SPURIOUS_VECTOR]).toBe(1);
    expect(cpu.isInService(SPURIOUS_VECTOR)).toBe(false);
    expect(exits).toBe(1);
  });
});

describe("Vcpu contexts", () => {
  it("switches threads from the interrupt epilogue and resumes each where it stopped", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cost: { switchContextNs: 5 } });
    const cpu = machine.cpus[0]!;
    const apic = machine.apics[0]!;
    const done: string[] = [];
    const runnable: CpuContext[] = [];
    const idle = context("idle", function* (): Guest<void> {
      for (;;) yield stiHlt();
    });
    const worker = (name: string): CpuContext => {
      const self: CpuContext = context(name, function* (): Guest<void> {
        yield sti(); // a new thread enables interrupts itself, as OSv's thread_main does
        yield compute(1000);
        done.push(`${name}@${sim.now}`);
        yield cli();
        runnable.splice(runnable.indexOf(self), 1);
        yield switchTo(idle);
      });
      return self;
    };
    const a = worker("a");
    const b = worker("b");
    runnable.push(a, b);
    // A round-robin "scheduler" in the interrupt epilogue, with a 300 ns slice.
    apic.writeLvtTimer(0x40, false);
    cpu.setInterruptHandler(0x40, () => {
      apic.eoi();
      return undefined;
    });
    cpu.hooks.onInterruptExit = (c) =>
      (function* (): Guest<void> {
        const next = runnable.find((context) => context !== c.currentContext);
        if (next === undefined) return;
        apic.writeInitialCount(300);
        yield switchTo(next);
      })();
    cpu.boot(a);
    apic.writeInitialCount(300);
    expect(sim.run().outcome).toBe("ok");
    // Slices: a 0-300, b 305-600, a 605-900, b 905-1200, a 1205-1500, b 1505-1800, a 1805-1915
    // (its 1000 ns conserved across four slices), idle, b 2105-2220.
    expect(done).toEqual(["a@1915", "b@2220"]);
    expect(cpu.stats.contextSwitches).toBe(9);
    expect(cpu.stats.interruptedComputes).toBe(6);
    expect(cpu.currentContext).toBe(idle);
  });

  it("refuses to switch with interrupts enabled", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    const other = context("other", function* (): Guest<void> {});
    machine.cpus[0]!.boot(
      context("thread", function* (): Guest<void> {
        yield sti();
        yield switchTo(other);
      }),
    );
    const result = sim.run();
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("vcpu.switch_irq");
  });
});

describe("Vcpu contexts across CPUs", () => {
  /**
   * Thread T computes on CPU 0, queues itself for CPU 1, sends CPU 1 an IPI and switches to CPU 0's
   * idle context; CPU 1's interrupt epilogue switches to T, which finishes there (a migration).
   */
  function migrate(ipiLatencyNs: number) {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, {
      cpus: 2,
      apic: { ipiLatencyNsMin: ipiLatencyNs, ipiLatencyNsMax: ipiLatencyNs },
    });
    const [cpu0, cpu1] = [machine.cpus[0]!, machine.cpus[1]!];
    const incoming: CpuContext[] = [];
    const idleBody = function* (): Guest<void> {
      for (;;) yield stiHlt();
    };
    const idle0 = context("idle0", idleBody);
    const idle1 = context("idle1", idleBody);
    const log: string[] = [];
    const thread: CpuContext = context("T", function* (): Guest<void> {
      yield compute(500);
      log.push(`T on cpu${thread.cpu!.index} @${sim.now}`);
      incoming.push(thread);
      yield sendIpi(1, 0xf1);
      yield cli();
      yield switchTo(idle0);
      log.push(`T on cpu${thread.cpu!.index} @${sim.now}`);
      yield sti();
      yield compute(300);
      log.push(`T done @${sim.now}`);
      yield cli();
      yield switchTo(idle1);
    });
    cpu1.setInterruptHandler(0xf1, () => {
      machine.apics[1]!.eoi();
      return undefined;
    });
    cpu1.hooks.onInterruptExit = () =>
      (function* (): Guest<void> {
        const next = incoming.shift();
        if (next !== undefined) yield switchTo(next);
      })();
    cpu0.boot(thread);
    cpu1.boot(idle1);
    const result = sim.run();
    return { result, log, thread, idle0, idle1, cpu0, cpu1 };
  }

  it("a context switched away on one CPU resumes on another from its interrupt epilogue", () => {
    const { result, log, thread, idle0, idle1, cpu0, cpu1 } = migrate(1000);
    expect(result.outcome).toBe("ok");
    expect(log).toEqual(["T on cpu0 @500", "T on cpu1 @1500", "T done @1800"]);
    expect(thread.cpu).toBe(null);
    expect([idle0.cpu, idle1.cpu]).toEqual([cpu0, cpu1]);
  });

  it("the model catches a migration race: switching to a context still current on another CPU", () => {
    // With a zero-latency IPI, CPU 1 takes the interrupt before CPU 0 has switched away from T.
    const { result } = migrate(0);
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("vcpu.context_owner");
    expect(result.failure?.message).toMatch(/'T' is current on cpu0/);
  });
});

describe("Vcpu memory costs", () => {
  // Loads and stores cost 1 ns, atomics 4 ns, a cache-line transfer 50 ns; everything else is free.
  const costs = { loadNs: 1, storeNs: 1, atomicNs: 4, cacheTransferNs: 50 };

  it("a load waits for the line another CPU wrote, then reads the value as of the line's arrival", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cpus: 2, cost: costs });
    const x = sim.memory.cell("x", 0);
    const seen = { value: -1, resumedAtNs: -1 };
    machine.cpus[1]!.boot(
      context("writer", function* (): Guest<void> {
        yield store(x, 1);
        yield compute(119);
        // At 120 ns: inside the reader's transfer (100..151 ns), before its load takes effect.
        yield store(x, 5);
      }),
    );
    machine.cpus[0]!.boot(
      context("reader", function* (): Guest<void> {
        yield compute(100);
        seen.value = yield load(x);
        seen.resumedAtNs = sim.now;
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(seen.value).toBe(5);
    // 100 ns of compute, then the 1 ns load and the 50 ns transfer, both before the effect.
    expect(seen.resumedAtNs).toBe(151);
  });

  it("a line stolen while an op waits for it is transferred again, and a line already here costs nothing extra", () => {
    const run = (thief: boolean) => {
      const sim = new Simulation();
      const machine = zeroCostMachine(sim, { cpus: 3, cost: costs });
      const x = sim.memory.cell("x", 0);
      let doneAtNs = -1;
      machine.cpus[1]!.boot(
        context("owner", function* (): Guest<void> {
          yield store(x, 1);
        }),
      );
      machine.cpus[2]!.boot(
        context("thief", function* (): Guest<void> {
          yield compute(5);
          // Accepted at 5 ns with the line on cpu1: takes effect at 5 + 1 + 50 = 56 ns.
          if (thief) yield store(x, 2);
        }),
      );
      machine.cpus[0]!.boot(
        context("swapper", function* (): Guest<void> {
          yield compute(10);
          // Accepted at 10 ns with the line on cpu1: 4 + 50 ns owed, to 64 ns. The thief wrote at 56 ns.
          yield exchange(x, 3);
          // The line is here now: this one costs its own 1 ns only.
          yield load(x);
          doneAtNs = sim.now;
        }),
      );
      expect(sim.run().outcome).toBe("ok");
      return { doneAtNs, x: x.value };
    };
    expect(run(false)).toEqual({ doneAtNs: 10 + 4 + 50 + 1, x: 3 });
    expect(run(true)).toEqual({ doneAtNs: 10 + 4 + 50 + 50 + 1, x: 3 });
  });

  it("a memory op rides on the compute before it (one dispatch), and an interrupt in that compute runs first", () => {
    const run = (interruptAtNs: number | null) => {
      const kinds: string[] = [];
      const sim = new Simulation({
        onDispatch: (_index, timeNs, kind) => kinds.push(`${sim.kinds.name(kind)}@${timeNs}`),
      });
      const machine = zeroCostMachine(sim, { cpus: 1, cost: costs });
      const x = sim.memory.cell("x", 0);
      const log: string[] = [];
      machine.cpus[0]!.setInterruptHandler(40, () => {
        log.push(`irq @${sim.now}`);
        machine.apics[0]!.eoi();
        return undefined;
      });
      machine.cpus[0]!.boot(
        context("t", function* (): Guest<void> {
          yield sti();
          yield compute(100);
          yield exchange(x, 7);
          log.push(`exchanged @${sim.now}`);
        }),
      );
      if (interruptAtNs !== null) raiseAt(sim, machine, interruptAtNs, 40);
      expect(sim.run().outcome).toBe("ok");
      return { kinds: kinds.filter((k) => !/^(wakeup|park|finish)@/.test(k)), log, x: x.value };
    };
    // The guest's compute(100) ends before its next line runs (a compute_done); the exchange's own
    // 4 ns are owed before it takes effect and end in its dispatch, with no compute_done of their own.
    expect(run(null)).toEqual({
      kinds: ["sti@0", "compute_done@100", "exchange@104"],
      log: ["exchanged @104"],
      x: 7,
    });
    // An interrupt at 102 ns, as the exchange waits out its 4 ns, cuts that short: the handler runs
    // first, then the rest (2 ns) is paid and the exchange issued, still at 104 ns (handlers are free).
    const interrupted = run(102);
    expect(interrupted.log).toEqual(["irq @102", "exchanged @104"]);
    expect(interrupted.kinds.filter((k) => k.startsWith("exchange"))).toEqual(["exchange@104"]);
    expect(interrupted.x).toBe(7);
  });
});

describe("Vcpu local ops and deferred time", () => {
  const costs = { loadNs: 1, storeNs: 1, atomicNs: 4, interruptFlagNs: 1, rdtscNs: 8 };

  function traced(body: (sim: Simulation) => () => Guest<void>, cpus = 1) {
    const events: string[] = [];
    const choices: string[] = [];
    const sim = new Simulation({
      onDispatch: (_index, timeNs, kind) => events.push(`${sim.kinds.name(kind)}@${timeNs}`),
      onChoice: (_index, _labelId, label) => choices.push(`${label}@${sim.now}`),
    });
    const machine = zeroCostMachine(sim, { cpus, cost: costs });
    for (let i = 0; i < cpus; i++) machine.cpus[i]!.boot(context(`t${i}`, body(sim)));
    const result = sim.run();
    return {
      result,
      events: events.filter((e) => !/^(wakeup|park|finish)@/.test(e)),
      schedulingChoices: choices.filter((c) => c.startsWith("sched@")),
      machine,
    };
  }

  it("cli and sti are events of the trace but never scheduling points", () => {
    // Two CPUs reach each store at the same instant (a scheduling choice), then cli or sti while the
    // other CPU's store is still pending: a dispatched cli would be one more choice, a local one none.
    let cells: ReturnType<Simulation["memory"]["cell"]>[] = [];
    let n = 0;
    const { result, events, schedulingChoices } = traced((sim) => {
      if (cells.length === 0) cells = [0, 1, 2, 3].map((i) => sim.memory.cell(`c${i}`, 0));
      const mine = n++;
      return function* (): Guest<void> {
        yield compute(10);
        yield store(cells[mine]!, 1);
        yield cli();
        yield store(cells[mine + 2]!, 1);
        yield sti();
      };
    }, 2);
    expect(result.outcome).toBe("ok");
    // Both CPUs' cli and sti are recorded...
    expect(events.filter((e) => e.startsWith("cli@"))).toEqual(["cli@11", "cli@11"]);
    expect(events.filter((e) => e.startsWith("sti@"))).toEqual(["sti@13", "sti@13"]);
    // ...but at 11 ns the only choice is between the two stores: the first CPU's cli runs while the
    // other's store is still pending, and a dispatched cli would have been a second choice there.
    expect(schedulingChoices.filter((c) => c === "sched@11")).toEqual(["sched@11"]);
  });

  it("a clock read waits for owed time, and so do a cli and an sti that change IF", () => {
    const reads: number[] = [];
    const times: number[] = [];
    const { result, events, machine } = traced(
      (sim) =>
        function* (): Guest<void> {
          reads.push(yield rdtsc());
          times.push(sim.now);
          // The first read's 8 ns are owed: the second read is issued after them, 8 TSC ns later.
          reads.push(yield rdtsc());
          times.push(sim.now);
          // cli turns interrupts off: it waits for the second read's 8 ns (an interrupt due meanwhile
          // is still taken before it), then its own 1 ns is owed.
          yield cli();
          times.push(sim.now);
          // A cli that leaves IF off changes nothing an interrupt sees: it runs at once.
          yield cli();
          times.push(sim.now);
          // sti turns them on: it waits for the 2 ns owed; the store pays sti's 1 ns and its own.
          yield sti();
          times.push(sim.now);
          yield store(sim.memory.cell("y", 0), 1);
          times.push(sim.now);
        },
    );
    expect(result.outcome).toBe("ok");
    const tsc = machine.tscs[0]!;
    expect(reads).toEqual([tsc.read(0), tsc.read(8)]);
    expect(times).toEqual([0, 8, 16, 16, 18, 20]);
    expect(events).toEqual(["rdtsc@0", "rdtsc@8", "cli@16", "cli@16", "sti@18", "store@20"]);
  });

  it("a spin of cli and sti alone still lets time pass", () => {
    // The loop changes IF every pass, so each cli and sti waits for the cost owed before it.
    let flag = false;
    let spins = 0;
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cost: costs });
    machine.cpus[0]!.setInterruptHandler(0x40, () => {
      flag = true;
      machine.apics[0]!.eoi();
      return undefined;
    });
    machine.cpus[0]!.boot(
      context("spinner", function* (): Guest<void> {
        while (!flag) {
          spins++;
          const flags = yield cli();
          yield irqRestore(flags);
        }
      }),
    );
    raiseAt(sim, machine, 100, 0x40);
    expect(sim.run().outcome).toBe("ok");
    expect(flag).toBe(true);
    expect(spins).toBeLessThan(100);
  });

  it("a deferred compute lets the code before the next effect run at once, and is paid before that effect", () => {
    const times: number[] = [];
    const { result, events } = traced(
      (sim) =>
        function* (): Guest<void> {
          const flags = yield cli();
          yield deferredCompute(100);
          times.push(sim.now);
          yield exchange(sim.memory.cell("z", 0), 1);
          times.push(sim.now);
          // A plain compute is paid at once: the code after it runs 50 ns later.
          yield compute(50);
          times.push(sim.now);
          yield irqRestore(flags);
        },
    );
    expect(result.outcome).toBe("ok");
    // cli (1) + deferred 100 + the exchange's 4 before it takes effect, in one dispatch.
    expect(times).toEqual([0, 105, 155]);
    expect(events).toEqual(["cli@0", "exchange@105", "compute_done@155", "sti@155"]);
  });

  it("the engine-only runtime pays a deferred compute at once", () => {
    const sim = new Simulation();
    const times: number[] = [];
    sim.spawn("p", function* (): Guest<void> {
      // The engine-only runtime has no deferral: a deferred compute is a compute.
      yield deferredCompute(40);
      times.push(sim.now);
    });
    expect(sim.run().outcome).toBe("ok");
    expect(times).toEqual([40]);
  });
});

describe("Vcpu pollExchange", () => {
  // Atomics cost 4 ns and a line transfer 50 ns; the poll period is 50 ns, so quiet polls end every
  // 54 ns. Interrupts are raised by timed events; the handler costs nothing.
  const costs = { loadNs: 1, storeNs: 1, atomicNs: 4, cacheTransferNs: 50 };
  const POLLS = 12;

  interface Outcome {
    found: number;
    polls: number;
    doneAtNs: number;
    irqs: number[];
    dispatches: number;
    /** pollExchange effects the poller needed. */
    calls: number;
  }

  /**
   * A poller on cpu0 spins on `cell` (as one pollExchange, or as the loop written out); a writer on
   * cpu1 stores 1 into it after `writeAfterNs` of compute (never, when null); an interrupt reaches
   * cpu0 at `irqAtNs` (never, when null).
   */
  function run(asOneEffect: boolean, writeAfterNs: number | null, irqAtNs: number | null): Outcome {
    let dispatches = 0;
    const sim = new Simulation({ onDispatch: () => dispatches++ });
    const machine = zeroCostMachine(sim, { cpus: 2, cost: costs });
    const cell = sim.memory.cell("mask", 0);
    const cpu0 = machine.cpus[0]!;
    const out: Outcome = { found: -1, polls: -1, doneAtNs: -1, irqs: [], dispatches: 0, calls: 0 };
    cpu0.setInterruptHandler(40, () => {
      out.irqs.push(sim.now);
      machine.apics[0]!.eoi();
      return undefined;
    });
    cpu0.boot(
      context("poller", function* (): Guest<void> {
        if (asOneEffect) {
          // As the idle loop does: an interrupt ends a pollExchange early; poll on for the rest.
          out.found = 0;
          for (out.polls = 0; out.polls < POLLS && out.found === 0; out.calls++) {
            out.found = yield pollExchange(cell, 50, POLLS - out.polls);
            out.polls += cpu0.lastPollCount;
          }
        } else {
          out.found = 0;
          for (out.polls = 0; out.polls < POLLS && out.found === 0; out.polls++) {
            yield compute(50);
            out.found = yield exchange(cell, 0);
          }
        }
        out.doneAtNs = sim.now;
      }),
    );
    if (writeAfterNs !== null)
      machine.cpus[1]!.boot(
        context("writer", function* (): Guest<void> {
          yield compute(writeAfterNs);
          yield store(cell, 1);
        }),
      );
    if (irqAtNs !== null) raiseAt(sim, machine, irqAtNs, 40);
    expect(sim.run().outcome).toBe("ok");
    out.dispatches = dispatches;
    return out;
  }

  it("waits out quiet polls in one dispatch and answers 0 after all of them", () => {
    const quiet = run(true, null, null);
    expect(quiet).toMatchObject({ found: 0, polls: POLLS, doneAtNs: POLLS * 54, irqs: [], calls: 1 });
    expect(run(false, null, null)).toMatchObject({ found: 0, polls: POLLS, doneAtNs: POLLS * 54 });
    expect(quiet.dispatches).toBeLessThan(10);
    expect(run(false, null, null).dispatches).toBeGreaterThan(2 * POLLS);
  });

  it("sees another CPU's write at the poll the loop written out would, at the same time", () => {
    let compared = 0;
    for (let writeAfterNs = 0; writeAfterNs < POLLS * 54 + 100; writeAfterNs += 3) {
      // The store takes effect 1 ns (plus 50 for the line, once the poller has it) after its compute;
      // writes landing on the very instant of a poll's exchange are ordered by the schedule, skip them.
      const landsAt = writeAfterNs + 1 + (writeAfterNs + 1 >= 54 ? 50 : 0);
      if (landsAt % 54 === 0 || landsAt % 54 === 50) continue;
      const loop = run(false, writeAfterNs, null);
      const watched = run(true, writeAfterNs, null);
      expect(watched.calls, `write after ${writeAfterNs} ns`).toBe(1);
      expect({ ...watched, dispatches: 0, calls: 0 }, `write after ${writeAfterNs} ns`).toEqual({
        ...loop,
        dispatches: 0,
        calls: 0,
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it("takes an interrupt between polls, ends after the poll in progress, and polling on matches the loop", () => {
    let midPoll = 0;
    for (const irqAtNs of [30, 54 * 3 + 20, 54 * 7 + 52]) {
      for (const writeAfterNs of [null, 54 * 5 + 10, 54 * 8]) {
        const loop = run(false, writeAfterNs, irqAtNs);
        const watched = run(true, writeAfterNs, irqAtNs);
        expect({ ...watched, dispatches: 0, calls: 0 }).toEqual({ ...loop, dispatches: 0, calls: 0 });
        if (watched.irqs[0] === irqAtNs && watched.doneAtNs > irqAtNs) {
          // The interrupted pollExchange answered early, so the caller could look at the handler's work.
          expect(watched.calls).toBe(2);
          midPoll++;
        }
      }
    }
    // Most combinations interrupt the spin (the rest end before the interrupt arrives).
    expect(midPoll).toBeGreaterThanOrEqual(7);
  });
});
