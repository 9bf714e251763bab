// Trace file constants and the one error type for unreadable traces: each failure mode (not a
// trace, truncated, corrupt, newer format) has its own one-line message and maps to exit code 2.

export const TRACE_MAGIC = "OSVTRACE";
export const TRACE_FORMAT_VERSION = 1;
export const DEFAULT_BLOCK_EVENTS = 4096;
/** No single record may exceed this (a corrupt length prefix is caught before allocating). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export type TraceErrorKind =
  | "unreadable"
  | "not-a-trace"
  | "truncated"
  | "corrupt"
  | "newer-version"
  | "exists";

export class TraceError extends Error {
  override name = "TraceError";
  constructor(
    readonly kind: TraceErrorKind,
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
