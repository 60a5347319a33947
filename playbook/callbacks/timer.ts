// The `timer` aggregate callback (ansible.posix.timer): how long the whole run took, after the recap.
import type { Display } from "./display.ts";
import { IgnoringCallback } from "./_base.ts";

/** A duration as timedelta shows its parts: whole days, hours, minutes and seconds. */
export function runTook(ms: number): string {
  const total = Math.floor(ms / 1000);
  const days = Math.floor(total / 86400), secs = total % 86400;
  return `Playbook run took ${days} days, ${Math.floor(secs / 3600)} hours, ${
    Math.floor(secs / 60) % 60
  } minutes, ${secs % 60} seconds`;
}

export class TimerCallback extends IgnoringCallback {
  #d: Display;
  #now: () => number;
  #start: number;

  constructor(display: Display, now: () => number = Date.now) {
    super();
    this.#d = display;
    this.#now = now;
    this.#start = now();
  }

  override stats(): void {
    this.#d.display(runTook(this.#now() - this.#start));
  }
}
