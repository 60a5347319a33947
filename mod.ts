// mito's library API. Filled in as the layers land: the protocol core, transports and the playbook runner.
export { VERSION } from "./cli/version.ts";
export type { ByteChannel, ExitStatus, SpawnRequest } from "./transports/stream.ts";
// Protocol and connections (docs/protocol.md).
export {
  Broker,
  ConnectError,
  Context,
  directoryRoot,
  INLINE_FILE_LIMIT,
  stackKey,
  TooManyInterpretersError,
} from "./transports/broker.ts";
export { defaultMethods } from "./transports/methods.ts";
export type {
  BrokerOptions,
  CallOptions,
  CallSpec,
  ConnectMethod,
  ConnectSpec,
  FetchedFile,
  FirstStage,
  LogRecord,
  PutFileOptions,
  PutFileResult,
  ReadyInfo,
} from "./transports/broker.ts";
export { CallCancelledError, CallTimeoutError, ContextGoneError } from "./core/calls.ts";
export { PyFloat, RemoteError, Tuple, tuple } from "./core/codec.ts";
export type { ModuleRoot } from "./core/importer.ts";
// Hops: OpenSSH, in-process ssh2, and become (sudo/su/doas) as connection methods (defaultMethods() gives them to a Broker).
export {
  classifySshFailure,
  parseSshArgs,
  SshConfigError,
  SshConnectError,
  sshMethod,
  sshSpawn,
} from "./transports/ssh.ts";
export type { HostKeyPolicy, SshFailureKind, SshOptions, SshSpec } from "./transports/ssh.ts";
export { Ssh2Connection, ssh2Method, ssh2Spawn } from "./transports/ssh2.ts";
export type { Ssh2Options, Ssh2Spec } from "./transports/ssh2.ts";
export { doasMethod, hopFailure, sudoMethod, suMethod } from "./transports/become.ts";
export type { BecomeMethod, BecomeSpec, HopFailure } from "./transports/become.ts";
// Containers and chroot: docker, podman, buildah, kubectl, lxc, lxd, jail, chroot, setns, machinectl.
export {
  buildahMethod,
  chrootMethod,
  containerArgv,
  ContainerSpecError,
  dockerMethod,
  jailMethod,
  kubectlMethod,
  lxcMethod,
  lxdMethod,
  machinectlMethod,
  podmanMethod,
  setnsConnectMethod,
  setnsOptions,
} from "./transports/containers.ts";
export type { ContainerSpec, SetnsKind, SetnsSpec, ToolMethod } from "./transports/containers.ts";
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
