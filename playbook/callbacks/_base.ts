// A callback that ignores every event: the callbacks that want only a few events extend it.
import type { Callback, PlayView, ResultEvent, StatsView, TaskView, WarningSource } from "./types.ts";
import type { Display } from "./display.ts";

export class IgnoringCallback implements Callback {
  playbookStart(_file: string): void {}
  playStart(_play: PlayView): void {}
  taskStart(_task: TaskView, _prefix: "TASK" | "RUNNING HANDLER"): void {}
  runnerStart(_host: string, _task: TaskView): void {}
  taskHosts(_hosts: string[]): void {}
  result(_ev: ResultEvent): void {}
  itemResult(_ev: ResultEvent): void {}
  retry(_ev: ResultEvent): void {}
  include(_file: string, _hosts: string[], _item?: unknown): void {}
  noHostsMatched(): void {}
  noHostsRemaining(): void {}
  warning(_message: string, _from?: WarningSource): void {}
  verbose(_message: string, _level: number): void {}
  stats(_stats: StatsView): void {}
  close(): void {}
}

/**
 * The executor reports a polled async task's progress as level-0 lines; they are the default callback's
 * (v2_runner_on_async_*), which the terse callbacks leave out.
 */
const ASYNC_LINE = /^ASYNC (POLL|OK|FAILED) on /;

/** A stdout callback that shows only results: warnings and verbose lines still reach the screen. */
export class ResultsOnlyCallback extends IgnoringCallback {
  protected readonly display: Display;
  constructor(display: Display) {
    super();
    this.display = display;
  }
  override warning(message: string, from?: WarningSource): void {
    this.display.warning(message, from);
  }
  override verbose(message: string, level: number): void {
    if (level === 0 && ASYNC_LINE.test(message)) return;
    this.display.verbose(message, level);
  }
}
