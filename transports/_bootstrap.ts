// What a new context is started with (docs/protocol.md "Bootstrap"): the first-stage one-liner for
// `python -c`, and the payload sent once its marker arrives: the compressed core and the config.
import { deflateSync } from "node:zlib";
import { Buffer } from "node:buffer";
import { EMBEDDED } from "../bootstrap/_embedded.ts";

/** The first stage's greeting: `MITO000 <bytecode magic as hex>\n`. */
export const MARKER = new TextEncoder().encode("MITO000");
const MAX_JUNK = 64 * 1024;

function embedded(path: string): string {
  const text = EMBEDDED[path];
  if (text === undefined) {
    throw new Error(`mito: ${path} is not embedded (run scripts/embed.ts)`);
  }
  return text;
}

let stageCode: string | undefined;
let coreZ: Uint8Array | undefined;

/** The `-c` program: shell-safe (no single quote), well under 1 KB. */
export function firstStageCode(): string {
  if (stageCode === undefined) {
    const z = Buffer.from(deflateSync(embedded("bootstrap/first_stage.py"), { level: 9 })).toString("base64");
    stageCode = `import base64,zlib;exec(zlib.decompress(base64.b64decode("${z}")))`;
  }
  return stageCode;
}

/** The core, zlib-compressed once per process. */
export function coreBlob(): Uint8Array {
  if (coreZ === undefined) coreZ = new Uint8Array(deflateSync(embedded("bootstrap/core.py"), { level: 9 }));
  return coreZ;
}

const PLAIN_PATH = /^[\w/.+-]+$/;

/** argv running the first stage: `[python, -c, code]`, or via /bin/sh for an interpreter string. */
export function firstStageArgv(python = "python3"): string[] {
  if (PLAIN_PATH.test(python)) return [python, "-c", firstStageCode()];
  return ["/bin/sh", "-c", firstStageCommand(python)];
}

/** One shell command line running the first stage (for ssh and other shells). */
export function firstStageCommand(python = "python3"): string {
  return `${python} -c '${firstStageCode()}'`;
}

export interface FirstStage {
  argv(python?: string): string[];
  command(python?: string): string;
}

export const FIRST_STAGE: FirstStage = { argv: firstStageArgv, command: firstStageCommand };

/**
 * What the spawner writes after the marker: u32 + compressed core source, u32 + compiled core (its
 * bytecode magic, then zlib(marshal(code)); empty when the spawner has none for this interpreter; the
 * first stage uses it only when the magic is its own), u32 + config JSON.
 */
export function bootstrapPayload(config: unknown, compiled: Uint8Array = new Uint8Array(0)): Uint8Array {
  const core = coreBlob();
  const cfg = new TextEncoder().encode(JSON.stringify(config));
  const out = new Uint8Array(12 + core.length + compiled.length + cfg.length);
  const v = new DataView(out.buffer);
  let off = 0;
  for (const part of [core, compiled, cfg]) {
    v.setUint32(off, part.length);
    out.set(part, off + 4);
    off += 4 + part.length;
  }
  return out;
}

export class BootstrapError extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
    this.name = "BootstrapError";
  }
}

/**
 * Reads until the first stage's marker line, skipping junk before it (login scripts); returns the bytes
 * read after that line, which already belong to the protocol.
 */
export async function awaitMarker(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  what: string,
): Promise<Uint8Array> {
  let seen = new Uint8Array(0);
  for (;;) {
    const idx = indexOf(seen, MARKER);
    const eol = idx >= 0 ? seen.indexOf(10, idx) : -1;
    if (eol >= 0) return seen.slice(eol + 1);
    if (seen.length > MAX_JUNK + MARKER.length) {
      throw new BootstrapError(`${what}: no first-stage marker in 64 KiB of output`, text(seen));
    }
    const { value, done } = await reader.read();
    if (done) {
      throw new BootstrapError(
        `${what}: the interpreter exited before the first stage started` +
          (seen.length ? ` (output: ${JSON.stringify(text(seen).slice(-300))})` : ""),
        text(seen),
      );
    }
    const next = new Uint8Array(seen.length + value.length);
    next.set(seen);
    next.set(value, seen.length);
    seen = next;
  }
}

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
