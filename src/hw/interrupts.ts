// How devices and timers reach a CPU: raising a vector on a target CPU's local APIC. The vCPU side
// implements it; device models depend only on this interface, so they can be tested with a fake.

export interface InterruptSink {
  /** Makes `vector` (32..255) pending on CPU `cpu`; delivery happens when that CPU allows it. */
  raise(cpu: number, vector: number): void;
}
