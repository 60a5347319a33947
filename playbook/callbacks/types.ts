// Events the executor reports and the callbacks (default screen output, json) consume.

export interface PlayView {
  id: number;
  name: string;
  /** "file:line" of the play. */
  path: string;
  checkMode: boolean;
  strategy: string;
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
  /** The name of the role the task belongs to (without its collection), if any. */
  role?: string;
  /** Templated args, for display_args_to_stdout. */
  args?: Record<string, unknown>;
}

export type HostStatus = "ok" | "failed" | "skipped" | "unreachable";

export interface ResultEvent {
  status: HostStatus;
  host: string;
  task: TaskView;
  result: Record<string, unknown>;
  ignoreErrors?: boolean;
  ignoreUnreachable?: boolean;
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
  result(ev: ResultEvent): void;
  itemResult(ev: ResultEvent): void;
  retry(ev: ResultEvent): void;
  include(file: string, hosts: string[], item?: unknown): void;
  noHostsMatched(): void;
  noHostsRemaining(): void;
  warning(message: string): void;
  /** The verbose-only lines Ansible prints (-v... -vvvv). */
  verbose(message: string, level: number): void;
  stats(stats: StatsView): void;
  /** Flushes anything held (the json callback writes its document here). */
  close(): void;
}
