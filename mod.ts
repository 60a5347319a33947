// mito's library API. Filled in as the layers land: the protocol core, transports and the playbook runner.
export { VERSION } from "./cli/version.ts";
// Protocol and connections (docs/protocol.md): the transports layer's whole public surface (the Broker,
// defaultMethods() and each connection method: local, OpenSSH, in-process ssh2, become, containers, chroot).
export * from "./transports/mod.ts";
export { CallCancelledError, CallTimeoutError, ContextGoneError } from "./core/calls.ts";
export { PyFloat, RemoteError, Tuple, tuple } from "./core/codec.ts";
export type { ModuleRoot } from "./core/importer.ts";
// Playbooks: the `mito run` engine and the seam its remote modules go through.
export { defaultEnvironment, runPlaybooks } from "./playbook/mod.ts";
export type {
  HostRunner,
  HostRunnerFactory,
  ModuleRequest,
  ModuleResult,
  RunEnvironment,
  RunRequest,
} from "./playbook/mod.ts";
