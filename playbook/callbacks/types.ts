// Events the executor reports and the callbacks (default screen output, json) consume.

/** What a no_log result shows in place of its contents (Ansible's clean_copy, runner's callback). */
export const CENSORED =
  "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export interface PlayView {
  id: number;
  name: string;
  /** "file:line" of the play. */
  path: string;
  checkMode: boolean;
  strategy: string;
  /** The hosts pattern after templating (a list joined with ","), as runner's events report it. */
  pattern?: string;
}

export interface TaskView {
  id: number;
  /** As the banner shows it: "role : name", or the action when unnamed. */
  name: string;
  action: string;
  path: string;
  noLog: boolean;
  checkMode: boolean;
  delegateTo?: string;
  hasLoop: boolean;
  /** include_tasks/include_role: ok results print nothing but the banner. */
  isInclude: boolean;
  /** The task's `diff` keyword (inherited, templated): its diffs are shown even without --diff. */
  diff?: boolean;
  /** The args as written (untemplated; Ansible's task.args as the task starts): display_args_to_stdout, junit. */
  args?: Record<string, unknown>;
  /** The task's no_log as written is true (or a template): display_args_to_stdout hides the args. */
  argsHidden?: boolean;
  /** The task's no_log keyword as written (or inherited), not templated: junit reads its truth. */
  writtenNoLog?: unknown;
  /** The task's own name, templated, without the "role : " prefix; "" when unnamed. */
  ownName?: string;
  /** The role's name (Ansible's role_name) and, when it differs, its fully qualified name. */
  role?: string;
  resolvedRole?: string;
  /** with_<lookup>: the lookup's name (Ansible's loop_with). */
  loopWith?: string;
}

/** An async task's poll, or its end (Ansible's v2_runner_on_async_poll / _ok / _failed). */
export interface AsyncView {
  kind: "poll" | "ok" | "failed";
  jid: string;
  started?: unknown;
  finished?: unknown;
}

/**
 * display_args_to_stdout's rendering of a task's args, as Ansible's banner and runner's `task_args` join
 * them: `key=value, ...` in the written order, each value as Python's str(); "" when there are none.
 */
export function taskArgsText(task: TaskView, pyStr: (v: unknown) => string): string {
  return Object.entries(task.args ?? {}).map(([k, v]) => `${k}=${pyStr(v)}`).join(", ");
}

/** Where ansible-playbook gives a warning: its main process, or the worker running a task. */
export type WarningSource = "main" | "task";

export type HostStatus = "ok" | "failed" | "skipped" | "unreachable";

export interface ResultEvent {
  status: HostStatus;
  host: string;
  task: TaskView;
  result: Record<string, unknown>;
  ignoreErrors?: boolean;
  ignoreUnreachable?: boolean;
  /** The result's diff was shown already (by fileDiff, in an event of its own). */
  diffShown?: boolean;
}

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failures: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface StatsView {
  hosts: Record<string, HostStats>;
  /** set_stats data: per host, and `_run` for aggregate: false / run_once data. */
  custom: Record<string, Record<string, unknown>>;
}

export interface Callback {
  playbookStart(file: string): void;
  playStart(play: PlayView): void;
  taskStart(task: TaskView, prefix: "TASK" | "RUNNING HANDLER"): void;
  /** A host starts a task (only shown/used by strategies that are not lockstep). */
  runnerStart(host: string, task: TaskView): void;
  /** The hosts a lockstep round runs the task just started on (for live progress; optional). */
  taskHosts?(hosts: string[]): void;
  result(ev: ResultEvent): void;
  itemResult(ev: ResultEvent): void;
  retry(ev: ResultEvent): void;
  /** An ok result's diff, shown before the result (Ansible's v2_on_file_diff): runner's own event. */
  fileDiff?(ev: ResultEvent): void;
  /** An async task polled or ended; without it the line goes to verbose(). */
  asyncStatus?(host: string, task: TaskView, e: AsyncView): void;
  include(file: string, hosts: string[], item?: unknown): void;
  /** A changed result notified `handler` (its shown name) for `host`, which was not yet notified. */
  notify?(handler: string, host: string): void;
  noHostsMatched(): void;
  noHostsRemaining(): void;
  /**
   * A warning; `main` when ansible-playbook gives it in its main process, not in the task's worker (see
   * Display.warning: the two remember what they showed apart).
   */
  warning(message: string, from?: WarningSource): void;
  /** The verbose-only lines Ansible prints (-v... -vvvv). */
  verbose(message: string, level: number): void;
  stats(stats: StatsView): void;
  /** Flushes anything held (the json callback writes its document here). */
  close(): void;
}
