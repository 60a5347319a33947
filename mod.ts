// mito's library API. Filled in as the layers land: the protocol core, transports and the playbook runner.
export { VERSION } from "./cli/version.ts";
export type { ByteChannel, ExitStatus, SpawnRequest } from "./transports/stream.ts";
// Protocol and connections (docs/protocol.md).
export {
  Broker,
  ConnectError,
  Context,
  directoryRoot,
  registerMethod,
  stackKey,
  TooManyInterpretersError,
} from "./transports/broker.ts";
export type {
  BrokerOptions,
  CallOptions,
  CallSpec,
  ConnectMethod,
  ConnectSpec,
  FirstStage,
  LogRecord,
  ReadyInfo,
} from "./transports/broker.ts";
export { CallCancelledError, CallTimeoutError, ContextGoneError } from "./core/calls.ts";
export { PyFloat, RemoteError, Tuple, tuple } from "./core/codec.ts";
export type { ModuleRoot } from "./core/importer.ts";
