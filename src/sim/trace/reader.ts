// Streaming trace reader: reads the magic, then one length-delimited record at a time through a
// small buffer, so memory stays flat however long the trace. Every way a file can be wrong is a
// TraceError with its own one-line message, never a stack trace.

import { closeSync, openSync, readSync } from "node:fs";
import { MAX_RECORD_BYTES, TRACE_FORMAT_VERSION, TRACE_MAGIC, TraceError } from "./format.js";
import { osvsim } from "./protobuf.js";

const { Record: TraceRecord } = osvsim.trace;

export type TraceHeader = osvsim.trace.Header;
export type TraceBlock = osvsim.trace.Block;
export type TraceFooter = osvsim.trace.Footer;

const CHUNK_BYTES = 1 << 16;

export class TraceReader {
  private fd: number | null;
  private buffer = new Uint8Array(CHUNK_BYTES);
  private start = 0;
  private end = 0;
  private eof = false;
  private fileOffset = 0;
  private recordIndex = 0;
  readonly header: TraceHeader;
  /** The footer, once read (null before, and for a truncated file). */
  footer: TraceFooter | null = null;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    const magic = this.take(TRACE_MAGIC.length, true);
    if (magic === null || new TextDecoder().decode(magic) !== TRACE_MAGIC) {
      this.close();
      throw new TraceError("not-a-trace", path, "not an osv-sim trace (bad magic bytes)");
    }
    const first = this.nextRecord();
    if (first === null || first.header == null) {
      this.close();
      throw new TraceError(first === null ? "truncated" : "corrupt", path, "trace has no header record");
    }
    const header = first.header as TraceHeader;
    const version = header.formatVersion;
    if (version > TRACE_FORMAT_VERSION) {
      this.close();
      throw new TraceError(
        "newer-version",
        path,
        `trace format version ${version} is newer than this osv-sim reads (${TRACE_FORMAT_VERSION}); upgrade osv-sim`,
      );
    }
    this.header = header;
  }

  static open(path: string): TraceReader {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new TraceError(
        "unreadable",
        path,
        code === "ENOENT" ? "no such trace file" : `cannot read trace: ${(error as Error).message}`,
      );
    }
    return new TraceReader(path, fd);
  }

  /** The next block, or null after the last one (then `footer` is set). Throws on truncation. */
  nextBlock(): TraceBlock | null {
    if (this.footer !== null) return null;
    const record = this.nextRecord();
    if (record === null) {
      throw new TraceError(
        "truncated",
        this.path,
        `trace is truncated: it ends after record ${this.recordIndex} with no footer`,
      );
    }
    if (record.footer != null) {
      this.footer = record.footer as TraceFooter;
      if (this.nextRecord() !== null) {
        throw new TraceError(
          "corrupt",
          this.path,
          `corrupt trace: data after the footer (record ${this.recordIndex})`,
        );
      }
      this.close();
      return null;
    }
    if (record.block == null) {
      throw new TraceError(
        "corrupt",
        this.path,
        `corrupt trace: record ${this.recordIndex} is neither a block nor a footer`,
      );
    }
    return record.block as TraceBlock;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private nextRecord(): osvsim.trace.Record | null {
    const at = this.fileOffset;
    const length = this.readVarint();
    if (length === null) return null;
    if (length > MAX_RECORD_BYTES) {
      throw new TraceError(
        "corrupt",
        this.path,
        `corrupt trace: record ${this.recordIndex + 1} at byte ${at} claims ${length} bytes`,
      );
    }
    const body = this.take(length, false);
    if (body === null) {
      throw new TraceError(
        "truncated",
        this.path,
        `trace is truncated: record ${this.recordIndex + 1} at byte ${at} is cut off`,
      );
    }
    this.recordIndex++;
    try {
      return TraceRecord.decode(body);
    } catch (error) {
      const why = (error as Error).message.split("\n")[0];
      throw new TraceError(
        "corrupt",
        this.path,
        `corrupt trace: record ${this.recordIndex} at byte ${at}: ${why}`,
      );
    }
  }

  /** A varint length prefix, or null at a clean end of file. */
  private readVarint(): number | null {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.take(1, i === 0);
      if (byte === null) {
        if (i === 0) return null;
        throw new TraceError(
          "truncated",
          this.path,
          `trace is truncated inside a record length at byte ${this.fileOffset}`,
        );
      }
      value += (byte[0]! & 0x7f) * scale;
      if ((byte[0]! & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new TraceError(
      "corrupt",
      this.path,
      `corrupt trace: record length at byte ${this.fileOffset} is not a varint`,
    );
  }

  /** `n` bytes, or null when the file ends first (at a clean boundary if `allowEnd`). */
  private take(n: number, allowEnd: boolean): Uint8Array | null {
    while (this.end - this.start < n && !this.eof) this.fill(n);
    if (this.end - this.start < n) {
      if (allowEnd && this.end === this.start) return null;
      return null;
    }
    const out = this.buffer.subarray(this.start, this.start + n);
    this.start += n;
    this.fileOffset += n;
    return out;
  }

  private fill(need: number): void {
    if (this.fd === null) {
      this.eof = true;
      return;
    }
    const pending = this.end - this.start;
    if (this.buffer.length < need) {
      const bigger = new Uint8Array(Math.max(need, this.buffer.length * 2));
      bigger.set(this.buffer.subarray(this.start, this.end));
      this.buffer = bigger;
    } else {
      this.buffer.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.end = pending;
    const read = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
    if (read === 0) this.eof = true;
    this.end += read;
  }
}
