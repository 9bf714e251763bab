// The hardware layer's public surface.

// cpu, apic, clocks, machine
export {
  type ApicKinds,
  ApicOp,
  type ApicOptions,
  type ApicStats,
  allocateApicKinds,
  DEFAULT_APIC_OPTIONS,
  LocalApic,
  MAX_TIMER_COUNT_NS,
  resolveApicOptions,
  sendIpi,
} from "./apic.js";
export {
  allocateClockKinds,
  ClockOp,
  DEFAULT_KVMCLOCK_OPTIONS,
  KvmClock,
  type KvmClockOptions,
  type KvmClockStats,
  kvmclockSystemTime,
  kvmclockSystemTimeOwn,
  PVCLOCK,
  PVCLOCK_TSC_STABLE_BIT,
  PVCLOCK_WALL,
  type PvclockReading,
  type PvclockScale,
  performPvclockRead,
  pvclockRead,
  pvclockReadOp,
  pvclockReadOwn,
  pvclockScale,
  pvclockScaleDelta,
  pvclockTimeNs,
  rdtsc,
  readPvclockRecord,
  readWallClock,
  resolveKvmClockOptions,
  stableOwnTime,
  Tsc,
} from "./clock.js";
export { type CostModel, DEFAULT_COST_MODEL, resolveCostModel } from "./cost.js";
export {
  CpuContext,
  CpuOp,
  cli,
  type ExtensionPerformer,
  FIRST_INTERRUPT_VECTOR,
  hlt,
  type InterruptHandler,
  InterruptRouter,
  irqRestore,
  NOT_LOCAL,
  pollExchange,
  registerCpuOps,
  SPURIOUS_VECTOR,
  sti,
  stiHlt,
  switchTo,
  Vcpu,
  type VcpuHooks,
  type VcpuStats,
} from "./cpu.js";
export type { InterruptSink } from "./interrupts.js";
export {
  buildMachine,
  type CpuRow,
  cpuTable,
  DEFAULT_MACHINE_OPTIONS,
  type DeviceFactory,
  MAX_CPUS,
  type Machine,
  type MachineBuildOptions,
  type MachineOptions,
  resolveMachineOptions,
  type TscOptions,
} from "./machine.js";
export {
  GuestMemory,
  GuestMemoryError,
  GuestProcess,
  HwOp,
  performPhysEffect,
  physLoad,
  physStore,
  readPhys,
  registerHwOps,
} from "./memory.js";

// virtio and host devices
export * from "./virtio/index.js";
