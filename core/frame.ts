// Framing: the fixed 26-byte big-endian header of docs/protocol.md, and an incremental decoder that turns a
// byte stream into frames, refusing corrupt or oversized ones before allocating their bodies.

export const MAGIC = 0x4d; // "M"
export const HEADER_SIZE = 26;
export const DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** Bytes of a frame spread over chunks that are held as chunks before it is gathered in one buffer. */
const GATHER_AFTER = 1024 * 1024;

export const FLAG_DEAD = 1;
export const FLAG_TAGS = 2;
/** The structured body has a blob table (docs/protocol.md "Structured bodies"); clear: the body is JSON. */
export const FLAG_BLOBS = 4;
const FLAG_MASK = FLAG_DEAD | FLAG_TAGS | FLAG_BLOBS;

export const ENC_STRUCTURED = 0;
export const ENC_RAW = 1;

export interface Header {
  flags: number;
  encoding: number;
  dst: number;
  src: number;
  auth: number;
  handle: number;
  replyTo: number;
}

/** A frame as it travels: the header fields plus the still-encoded body. */
export interface Frame extends Header {
  body: Uint8Array;
}

export class FrameError extends Error {
  constructor(message: string, readonly header?: Uint8Array) {
    super(message);
    this.name = "FrameError";
  }
}

/** Serialises a frame: header and body in one buffer, ready for one write. */
export function encodeFrame(f: Frame): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + f.body.length);
  writeHeader(out, f, f.body.length);
  out.set(f.body, HEADER_SIZE);
  return out;
}

export function writeHeader(out: Uint8Array, h: Header, length: number): void {
  const v = new DataView(out.buffer, out.byteOffset, HEADER_SIZE);
  v.setUint8(0, MAGIC);
  v.setUint8(1, (h.encoding << 4) | h.flags);
  v.setInt32(2, h.dst);
  v.setInt32(6, h.src);
  v.setInt32(10, h.auth);
  v.setInt32(14, h.handle);
  v.setInt32(18, h.replyTo);
  v.setUint32(22, length);
}

/**
 * Incremental frame decoder. `push` takes any slicing of the stream and returns the complete frames; a
 * corrupt header throws FrameError, after which the decoder refuses further input (the stream is dead).
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** A big frame being gathered in place (header included), and how many of its bytes have arrived. */
  #open: Uint8Array | undefined;
  #filled = 0;
  #failed: FrameError | undefined;
  #lastCopied = false;
  constructor(readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE, readonly what = "stream") {}

  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Whether the last push copied its whole chunk into a big frame being gathered, keeping no view of it:
   * the caller may free that chunk now instead of leaving it to the garbage collector.
   */
  get lastChunkCopied(): boolean {
    return this.#lastCopied;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) throw this.#failed;
    const frames: Frame[] = [];
    this.#lastCopied = false;
    if (this.#open) {
      const open = this.#open;
      const n = Math.min(chunk.length, open.length - this.#filled);
      open.set(chunk.subarray(0, n), this.#filled);
      this.#filled += n;
      this.#buffered += n;
      this.#lastCopied = n === chunk.length;
      if (this.#filled < open.length) return frames;
      this.#open = undefined;
      this.#buffered -= open.length;
      frames.push(frameOf(open));
      chunk = chunk.subarray(n);
    }
    if (chunk.length) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    while (this.#buffered >= HEADER_SIZE) {
      const head = this.#peek(HEADER_SIZE);
      const v = new DataView(head.buffer, head.byteOffset, HEADER_SIZE);
      const length = v.getUint32(22);
      const problem = checkHeader(v, length, this.maxMessageSize);
      if (problem) {
        this.#failed = new FrameError(`mito: corrupt frame from ${this.what}: ${problem}`, head.slice());
        throw this.#failed;
      }
      const size = HEADER_SIZE + length;
      if (this.#buffered < size) {
        // A frame spread over chunks is gathered in place once GATHER_AFTER bytes or a quarter of it have
        // arrived: its chunks are never held beside a joined copy (twice a big message's size), nor pile up
        // until the end (the allocator kept a quarter of a 100 MB reply's worth of freed chunks). The buffer
        // is reserved, not filled: memory is used only as bytes arrive, so a peer that announces a big frame
        // and stops costs address space, not memory.
        if (this.#chunks.length > 1 && (this.#buffered >= GATHER_AFTER || this.#buffered * 4 >= size)) {
          this.#gather(size);
        }
        break;
      }
      frames.push(frameOf(this.#take(size)));
    }
    return frames;
  }

  /** Moves every buffered chunk into a new buffer of the whole frame's size; later chunks fill it. */
  #gather(size: number): void {
    const open = new Uint8Array(size);
    let off = 0;
    for (const c of this.#chunks) {
      open.set(c, off);
      off += c.length;
    }
    this.#chunks = [];
    this.#open = open;
    this.#filled = off;
  }

  /** First n buffered bytes, joining chunks only when the header straddles them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.#chunks) {
      const part = c.subarray(0, n - off);
      out.set(part, off);
      off += part.length;
      if (off === n) break;
    }
    return out;
  }

  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0];
      const want = n - off;
      if (c.length <= want) {
        out.set(c, off);
        off += c.length;
        this.#chunks.shift();
      } else {
        out.set(c.subarray(0, want), off);
        this.#chunks[0] = c.subarray(want);
        off = n;
      }
    }
    return out;
  }
}

/** A whole frame's bytes (header and body) as a Frame; the body is a view, not a copy. */
function frameOf(all: Uint8Array): Frame {
  const hv = new DataView(all.buffer, all.byteOffset, HEADER_SIZE);
  const kind = hv.getUint8(1);
  return {
    flags: kind & 15,
    encoding: kind >> 4,
    dst: hv.getInt32(2),
    src: hv.getInt32(6),
    auth: hv.getInt32(10),
    handle: hv.getInt32(14),
    replyTo: hv.getInt32(18),
    body: all.subarray(HEADER_SIZE),
  };
}

function checkHeader(v: DataView, length: number, max: number): string | undefined {
  const magic = v.getUint8(0);
  if (magic !== MAGIC) return `bad magic 0x${magic.toString(16).padStart(2, "0")}`;
  const kind = v.getUint8(1);
  const enc = kind >> 4;
  if (enc !== ENC_STRUCTURED && enc !== ENC_RAW) return `unknown encoding ${enc}`;
  if (kind & 15 & ~FLAG_MASK) return `unknown flags 0x${(kind & 15).toString(16)}`;
  if (length > max) return `message of ${length} bytes exceeds the maximum of ${max}`;
  return undefined;
}
