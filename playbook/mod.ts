// The playbook layer's public surface: run playbooks, or drive the pieces (loader, executor, callbacks).
export { defaultEnvironment, type RunEnvironment, runPlaybooks, type RunRequest } from "./run.ts";
export {
  type BecomeSpec,
  type HostRunner,
  type HostRunnerFactory,
  type HostRunnerOptions,
  type ModuleRequest,
  type ModuleResult,
  noConnectionRunner,
} from "./runner.ts";
export { Executor, type ExecutorOptions, type InventoryView, type TemplateEngine } from "./executor.ts";
export { Loader, type LoaderIO } from "./loader.ts";
export type { Block, Item, Play, Playbook, RoleInstance, Task } from "./model.ts";
export { ExecutionError, PlaybookError, type Position } from "./errors.ts";
export { DefaultCallback } from "./callbacks/default.ts";
export { JsonCallback } from "./callbacks/json.ts";
export { Display } from "./callbacks/display.ts";
export type { Callback, HostStats, PlayView, ResultEvent, StatsView, TaskView } from "./callbacks/types.ts";
