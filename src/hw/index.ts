// The hardware layer's public surface.

export type { InterruptSink } from "./interrupts.js";
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
export {
  DEFAULT_VIRTIO_TRANSPORT_OPTIONS,
  featureBit,
  features,
  hasFeature,
  MAX_VIRTQUEUES,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DEVICE_NEEDS_RESET,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  VirtioDevice,
  type VirtioDeviceStats,
  type VirtioTransportOptions,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
  wakeFromHost,
} from "./virtio/device.js";
export {
  type BufferSegment,
  type Doorbell,
  FORCED_KICK_THRESHOLD,
  MAX_QUEUE_SIZE,
  VIRTIO_PCI_VRING_ALIGN,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE_BYTES,
  VRING_USED_ELEM_SIZE_BYTES,
  VRING_USED_F_NO_NOTIFY,
  Vring,
  type VringLayout,
  vringLayout,
  vringNeedEvent,
} from "./virtio/ring.js";
export { type DescriptorChain, VringDevice } from "./virtio/ring-device.js";
export {
  DEFAULT_VRING_DRIVER_OPTIONS,
  type UsedBuffer,
  VringDriver,
  type VringDriverOptions,
  type VringDriverStats,
} from "./virtio/ring-driver.js";
