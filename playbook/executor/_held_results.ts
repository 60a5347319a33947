// When a task round (or a free play) has more hosts than forks, ansible-playbook's strategy reports a
// host's result only after it has started the next host in the freed fork: its main loop queues a host
// (the host's runner_on_start), then reads the results that came in meanwhile (notify, diff, result). With one
// fork that gives start A, start B, result A, start C, result B, ... result C, as runner's events and
// every callback that shows starts see it. What a worker reports while it runs (loop items, retries,
// async polls) comes at once. This callback holds a finished host's report while hosts wait for a fork,
// and lets it out after the next start.
import type {
  AsyncView,
  Callback,
  PlayView,
  ResultEvent,
  StatsView,
  TaskView,
  WarningSource,
} from "../callbacks/types.ts";

export class HeldResults implements Callback {
  #inner: Callback;
  #holding = false;
  #held: (() => void)[] = [];
  /** Only when the wrapped callback has it: without it the executor sends the default callback's line. */
  asyncStatus?: (host: string, task: TaskView, e: AsyncView) => void;

  constructor(inner: Callback) {
    this.#inner = inner;
    if (inner.asyncStatus) this.asyncStatus = (host, task, e) => inner.asyncStatus!(host, task, e);
  }

  /** Whether hosts of the round still wait for a fork: results are held until the next start. */
  hold(on: boolean): void {
    this.#holding = on;
  }

  /** Lets out what is held (after a start, and when the round ends). */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const report of held) report();
  }

  #report(fn: () => void): void {
    if (this.#holding || this.#held.length) this.#held.push(fn);
    else fn();
  }

  runnerStart(host: string, task: TaskView): void {
    this.#inner.runnerStart(host, task);
    this.release();
  }
  result(ev: ResultEvent): void {
    this.#report(() => this.#inner.result(ev));
  }
  fileDiff(ev: ResultEvent): void {
    this.#report(() => this.#inner.fileDiff?.(ev));
  }
  notify(handler: string, host: string): void {
    this.#report(() => this.#inner.notify?.(handler, host));
  }

  playbookStart(file: string): void {
    this.#inner.playbookStart(file);
  }
  playStart(play: PlayView): void {
    this.#inner.playStart(play);
  }
  taskStart(task: TaskView, prefix: "TASK" | "RUNNING HANDLER"): void {
    this.#inner.taskStart(task, prefix);
  }
  taskHosts(hosts: string[]): void {
    this.#inner.taskHosts?.(hosts);
  }
  itemResult(ev: ResultEvent): void {
    this.#inner.itemResult(ev);
  }
  retry(ev: ResultEvent): void {
    this.#inner.retry(ev);
  }
  include(file: string, hosts: string[], item?: unknown): void {
    this.#inner.include(file, hosts, item);
  }
  noHostsMatched(): void {
    this.#inner.noHostsMatched();
  }
  noHostsRemaining(): void {
    this.#inner.noHostsRemaining();
  }
  warning(message: string, from?: WarningSource): void {
    this.#inner.warning(message, from);
  }
  verbose(message: string, level: number): void {
    this.#inner.verbose(message, level);
  }
  stats(stats: StatsView): void {
    this.release();
    this.#inner.stats(stats);
  }
  close(): void {
    this.release();
    this.#inner.close();
  }
}
