// protobufjs setup: decode 64-bit fields as plain numbers rather than Long objects. Every 64-bit
// value osv-sim writes (times, events, values) is a safe integer, asserted where it is produced.

import protobuf from "protobufjs/minimal.js";

// biome-ignore lint/suspicious/noExplicitAny: protobufjs documents this switch as assigning undefined
(protobuf.util as any).Long = undefined;
protobuf.configure();

export { osvsim } from "./generated/trace.js";
