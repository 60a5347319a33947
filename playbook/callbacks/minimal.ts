// The `minimal` stdout callback (ansible's default for ad-hoc commands): one block per host result,
// "host | CHANGED | rc=0 >>" and the output for commands, "host | SUCCESS => {json}" for the rest.
import type { ResultEvent, TaskView } from "./types.ts";
import { ResultsOnlyCallback } from "./_base.ts";
import type { Display } from "./display.ts";
import {
  cleanResults,
  diffText,
  dumpResults,
  isNoJsonModule,
  type ResultFormat,
  showException,
  showWarnings,
  yamlDiff,
} from "./_results.ts";

/** "host | CAPTION | rc=N >>" and the command's stdout, stderr and msg run together. */
export function commandBlock(host: string, r: Record<string, unknown>, caption: string): string {
  const text = (k: string) => (typeof r[k] === "string" ? r[k] as string : "");
  return `${host} | ${caption} | rc=${rcOf(r)} >>\n${text("stdout")}${text("stderr")}${text("msg")}\n`;
}

/** result.get('rc', -1) as Python prints it. */
export function rcOf(r: Record<string, unknown>): string {
  if (!("rc" in r)) return "-1";
  return r.rc === null || r.rc === undefined ? "None" : String(r.rc);
}

export class MinimalCallback extends ResultsOnlyCallback {
  #d: Display;
  #diff: boolean;

  #fmt: ResultFormat | undefined;

  constructor(display: Display, opts: { diff: boolean; resultFormat?: ResultFormat }) {
    super(display);
    this.#d = display;
    this.#diff = opts.diff;
    this.#fmt = opts.resultFormat;
  }

  override itemResult(ev: ResultEvent): void {
    this.#fileDiff(ev.result, ev.task);
  }

  // v2_on_file_diff: sent with --diff (or the task's diff: true) before the result, when it has a diff.
  #fileDiff(r: Record<string, unknown>, task: TaskView): void {
    if (!(this.#diff || task.diff) || !r.diff || (Array.isArray(r.diff) && !r.diff.length)) return;
    this.#d.display(
      diffText(this.#d, r.diff, this.#fmt?.format === "yaml" ? yamlDiff(this.#fmt) : undefined),
    );
  }

  override result(ev: ResultEvent): void {
    const { host, task } = ev;
    let r = ev.result;
    if (!(task.hasLoop && "results" in r)) this.#fileDiff(r, task);
    if (ev.status === "ok") {
      r = showWarnings(this.#d, cleanResults(r, task.action));
      const changed = r.changed === true;
      const state = changed ? "CHANGED" : "SUCCESS";
      const color = changed ? "changed" : "ok";
      if (isNoJsonModule(task.action) && !("ansible_job_id" in r)) {
        this.#d.display(commandBlock(host, r, state), color);
      } else {this.#d.display(
          `${host} | ${state} => ${dumpResults(r, this.#d.verbosity, 4, this.#fmt)}`,
          color,
        );}
    } else if (ev.status === "failed") {
      r = showWarnings(this.#d, showException(this.#d, r));
      if (isNoJsonModule(task.action) && !("module_stderr" in r)) {
        this.#d.display(commandBlock(host, r, "FAILED"), "error");
      } else {this.#d.display(
          `${host} | FAILED! => ${dumpResults(r, this.#d.verbosity, 4, this.#fmt)}`,
          "error",
        );}
    } else if (ev.status === "skipped") {
      this.#d.display(`${host} | SKIPPED`, "skip");
    } else {
      this.#d.display(
        `${host} | UNREACHABLE! => ${dumpResults(r, this.#d.verbosity, 4, this.#fmt)}`,
        "unreachable",
      );
    }
  }
}
