// The `oneline` stdout callback (`ansible -o`): each host's result on one line.
import type { ResultEvent } from "./types.ts";
import { ResultsOnlyCallback } from "./_base.ts";
import type { Display } from "./display.ts";
import { dumpResults, isNoJsonModule } from "./_results.ts";
import { rcOf } from "./minimal.ts";

const flat = (s: unknown) => String(s ?? "").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

/** "host | CAPTION | rc=N | (stdout) … (stderr) …" with the newlines escaped. */
function commandLine(host: string, r: Record<string, unknown>, caption: string): string {
  const head = `${host} | ${caption} | rc=${rcOf(r)} | (stdout) ${flat(r.stdout)}`;
  return r.stderr ? `${head} (stderr) ${flat(r.stderr)}` : head;
}

export class OnelineCallback extends ResultsOnlyCallback {
  #d: Display;

  constructor(display: Display) {
    super(display);
    this.#d = display;
  }

  // indent 0 gives one key per line; joining the lines leaves `{"a": 1,"b": 2}`, as Ansible's does.
  #json(r: Record<string, unknown>): string {
    return dumpResults(r, this.#d.verbosity, 0).replace(/\n/g, "");
  }

  override result(ev: ResultEvent): void {
    const { host, task, result: r } = ev;
    const noJson = isNoJsonModule(task.action);
    if (ev.status === "ok") {
      const changed = r.changed === true;
      const state = changed ? "CHANGED" : "SUCCESS";
      const color = changed ? "changed" : "ok";
      if (noJson && !("ansible_job_id" in r)) this.#d.display(commandLine(host, r, state), color);
      else this.#d.display(`${host} | ${state} => ${this.#json(r)}`, color);
    } else if (ev.status === "failed") {
      if ("exception" in r) {
        const text = String(r.exception);
        const msg = this.#d.verbosity < 3
          ? "An exception occurred during task execution. To see the full traceback, use -vvv. " +
            `The error was: ${text.trim().split("\n").pop()}`
          : `An exception occurred during task execution. The full traceback is:\n${text.replace(/\n/g, "")}`;
        if (noJson && !("module_stderr" in r)) this.#d.display(commandLine(host, r, "FAILED"), "error");
        else this.#d.display(msg, "error");
      }
      this.#d.display(`${host} | FAILED! => ${this.#json(r)}`, "error");
    } else if (ev.status === "skipped") {
      this.#d.display(`${host} | SKIPPED`, "skip");
    } else {
      this.#d.display(`${host} | UNREACHABLE!: ${String(r.msg ?? "")}`, "unreachable");
    }
  }
}
