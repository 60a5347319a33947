// The remote side of `mito run`: a HostRunner over the protocol (contexts, module calls, file actions).
export { ProtocolHostRunner, protocolRunnerFactory } from "./host_runner.ts";
export type { ProtocolRunnerOptions } from "./host_runner.ts";
export { ConnectionPlanError, planConnection } from "./plan.ts";
export type { ConnectPlan } from "./plan.ts";
export { builtinModules, ModuleNotFoundError, ModuleResolver } from "./modules.ts";
