// The protocol core's public surface (docs/protocol.md): framing, the structured-body codec, messages,
// routing between contexts, call/reply bookkeeping and the importer's responder. Pure: it takes and yields
// bytes and frames, does no I/O, and imports nothing outside core/ (scripts/check_imports.ts holds it so).
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  ENC_RAW,
  ENC_STRUCTURED,
  encodeFrame,
  FLAG_BLOBS,
  FLAG_DEAD,
  FLAG_TAGS,
  FrameDecoder,
  FrameError,
  HEADER_SIZE,
  MAGIC,
} from "./frame.ts";
export type { Frame, Header } from "./frame.ts";
export {
  CodecError,
  decodeBody,
  encodeBody,
  MAX_CONTAINERS,
  MAX_DEPTH,
  MAX_INT_DIGITS,
  PyFloat,
  RemoteError,
  Tuple,
  tuple,
  WrappedString,
} from "./codec.ts";
export type { Encoded } from "./codec.ts";
export * as handles from "./handles.ts";
export { DeadLetterError, encodeStructured, frameValue, rawFrame, structuredFrame } from "./message.ts";
export type { Address } from "./message.ts";
export { Router } from "./router.ts";
export type { RouterHooks } from "./router.ts";
export { CallCancelledError, CallTable, CallTimeoutError, ContextGoneError } from "./calls.ts";
export type { CallOptions, CallSpec, CallTableOptions, Settled } from "./calls.ts";
export { embeddedModules, ImporterResponder, scanImports } from "./importer.ts";
export type { ImporterOptions, LoadModule, ModuleInfo, ModuleRoot } from "./importer.ts";
