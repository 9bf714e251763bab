// Trace record/replay surface (re-exported by src/sim/index.ts).

export {
  DEFAULT_BLOCK_EVENTS,
  TRACE_FORMAT_VERSION,
  TRACE_MAGIC,
  TraceError,
  type TraceErrorKind,
} from "./format.js";
export { type TraceBlock, type TraceFooter, type TraceHeader, TraceReader } from "./reader.js";
export { TraceReplay } from "./replay.js";
export { type TraceHeaderFields, TraceWriter } from "./writer.js";
