// Building and reading frames with encoded bodies: the glue between frame.ts and codec.ts.
import { CodecError, decodeBody, encodeBody } from "./codec.ts";
import { ENC_RAW, ENC_STRUCTURED, encodeFrame, FLAG_DEAD, type Frame } from "./frame.ts";

export interface Address {
  dst: number;
  src: number;
  auth?: number;
  handle: number;
  replyTo?: number;
}

/** A frame whose body is `value`, structured-encoded. */
export function structuredFrame(a: Address, value: unknown): Frame {
  const { body, flags } = encodeBody(value);
  return {
    flags,
    encoding: ENC_STRUCTURED,
    dst: a.dst,
    src: a.src,
    auth: a.auth ?? a.src,
    handle: a.handle,
    replyTo: a.replyTo ?? 0,
    body,
  };
}

export function rawFrame(a: Address, body: Uint8Array, flags = 0): Frame {
  return {
    flags,
    encoding: ENC_RAW,
    dst: a.dst,
    src: a.src,
    auth: a.auth ?? a.src,
    handle: a.handle,
    replyTo: a.replyTo ?? 0,
    body,
  };
}

export function encodeStructured(a: Address, value: unknown): Uint8Array {
  return encodeFrame(structuredFrame(a, value));
}

/** The dead letter answering `f`, or undefined when `f` wants no answer or is itself dead. */
export function deadLetterFor(f: Frame, from: number, reason: string): Frame | undefined {
  if (!f.replyTo || f.flags & FLAG_DEAD) return undefined;
  return rawFrame({ dst: f.src, src: from, handle: f.replyTo }, new TextEncoder().encode(reason), FLAG_DEAD);
}

export class DeadLetterError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "DeadLetterError";
  }
}

/**
 * The value a frame carries; a dead letter throws DeadLetterError, a body the codec refuses (corrupt, too
 * deep) a CodecError naming the context that sent it, as `name` names it (its inventory host where known).
 */
export function frameValue(f: Frame, name: (id: number) => string = (id) => `context ${id}`): unknown {
  if (f.flags & FLAG_DEAD) throw new DeadLetterError(new TextDecoder().decode(f.body));
  if (f.encoding === ENC_RAW) return f.body;
  try {
    return decodeBody(f.body, f.flags);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    throw new CodecError(`mito: undecodable message from ${name(f.src)}: ${e.message}`);
  }
}
