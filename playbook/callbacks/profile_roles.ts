// The `profile_roles` aggregate callback (ansible.posix.profile_roles): the timestamp line as each task
// starts, and at the end the time spent in each role (tasks outside roles count under their action),
// most first, and the total.
import type { TaskView } from "./types.ts";
import type { Display } from "./display.ts";
import { IgnoringCallback } from "./_base.ts";
import { filled, padWith, TaskClock } from "./profile_tasks.ts";

export class ProfileRolesCallback extends IgnoringCallback {
  #d: Display;
  #clock: TaskClock;
  #current: string | undefined;
  #started = 0;
  #totals = new Map<string, number>();

  constructor(display: Display, now?: () => number) {
    super();
    this.#d = display;
    this.#clock = new TaskClock(now);
  }

  #stop(): void {
    if (this.#current === undefined) return;
    const took = (this.#clock.now() - this.#started) / 1000;
    this.#totals.set(this.#current, (this.#totals.get(this.#current) ?? 0) + took);
  }

  override taskStart(task: TaskView): void {
    this.#d.display(this.#clock.line());
    this.#stop();
    this.#current = task.role ?? task.action;
    this.#started = this.#clock.now();
    if (!this.#totals.has(this.#current)) this.#totals.set(this.#current, 0);
  }

  override stats(): void {
    this.#d.display(this.#clock.line());
    this.#d.display(filled("", "="));
    this.#stop();
    this.#current = undefined;
    // Counter.most_common: largest first, ties in the order first seen.
    const rows = [...this.#totals].sort((a, b) => b[1] - a[1]);
    const line = (name: string, secs: number) =>
      padWith(`${name} `, 70, "-") + ` ${secs.toFixed(2)}s`.padStart(9, "-");
    for (const [name, secs] of rows) this.#d.display(line(name, secs));
    this.#d.display(filled("", "~"));
    this.#d.display(line("total", rows.reduce((sum, [, secs]) => sum + secs, 0)));
  }
}
