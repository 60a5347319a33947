// How a context's bytes travel, as the layers above use it: the Broker (contexts, calls, file transfer),
// the connection methods it is given (defaultMethods(): local, OpenSSH, in-process ssh2, become, container
// and chroot hops) and the errors and specs of each. Private helpers (_*.ts) stay behind this surface.
export {
  Broker,
  ConnectError,
  Context,
  directoryRoot,
  INLINE_FILE_LIMIT,
  stackKey,
  TooManyInterpretersError,
} from "./broker.ts";
export type {
  BrokerOptions,
  CallOptions,
  CallSpec,
  ConnectMethod,
  ConnectSpec,
  FetchedFile,
  FetchFileOptions,
  FirstStage,
  LogRecord,
  PutFileOptions,
  PutFileResult,
  ReadyInfo,
  TransferProgress,
} from "./broker.ts";
export { defaultMethods } from "./methods.ts";
export { localMethod } from "./local.ts";
export type { LocalSpec } from "./local.ts";
export {
  buildSshArgv,
  classifySshFailure,
  parseSshArgs,
  splitShellWords,
  SshConfigError,
  SshConnectError,
  sshMethod,
  sshSpawn,
} from "./ssh.ts";
export type { HostKeyPolicy, SshFailureKind, SshOptions, SshSpawnOptions, SshSpec } from "./ssh.ts";
export { Ssh2Connection, ssh2Method, ssh2Spawn } from "./ssh2.ts";
export type { Ssh2Options, Ssh2Spec } from "./ssh2.ts";
export { doasMethod, hopFailure, sudoMethod, suMethod } from "./become.ts";
export type { BecomeMethod, BecomeSpec, HopFailure } from "./become.ts";
export {
  buildahMethod,
  chrootMethod,
  containerArgv,
  ContainerSpecError,
  dockerMethod,
  findTool,
  jailMethod,
  kubectlMethod,
  lxcMethod,
  lxdMethod,
  machinectlMethod,
  podmanMethod,
  setnsConnectMethod,
  setnsOptions,
} from "./containers.ts";
export type { ContainerSpec, SetnsKind, SetnsSpec, ToolMethod } from "./containers.ts";
export type { ByteChannel, ExitStatus, SpawnRequest } from "./stream.ts";
