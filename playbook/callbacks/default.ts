// The default stdout callback: what ansible-playbook prints, line for line.
import {
  type AsyncView,
  type Callback,
  type PlayView,
  type ResultEvent,
  type StatsView,
  taskArgsText,
  type TaskView,
  type WarningSource,
} from "./types.ts";
import { type Display, escapeControls } from "./display.ts";
import { pyJson } from "./_pyjson.ts";
import {
  cleanResults,
  diffText,
  dumpResults,
  type ResultFormat,
  showException,
  showWarnings,
  yamlDiff,
} from "./_results.ts";

/** The default callback's line for an async task's poll or end. */
export function asyncLine(host: string, e: AsyncView): string {
  if (e.kind === "poll") {
    return `ASYNC POLL on ${host}: jid=${e.jid} started=${e.started} finished=${e.finished}`;
  }
  return `ASYNC ${e.kind === "ok" ? "OK" : "FAILED"} on ${host}: jid=${e.jid}`;
}

export interface DefaultCallbackOptions {
  check: boolean;
  diff: boolean;
  /** Renders an item label like Python's str(). */
  pyStr: (v: unknown) => string;
  displaySkippedHosts?: boolean;
  displayOkHosts?: boolean;
  showCustomStats?: boolean;
  /** check_mode_markers: "DRY RUN" banners and "[CHECK MODE]" on headers (off by default, as Ansible). */
  checkModeMarkers?: boolean;
  /** display_args_to_stdout: the task banner shows its args as written (unless no_log). */
  displayArgsToStdout?: boolean;
  /** result_format / pretty_results (ANSIBLE_CALLBACK_RESULT_FORMAT, ANSIBLE_CALLBACK_FORMAT_PRETTY). */
  resultFormat?: ResultFormat;
  /** How results are shown (a callback deriving from this one, like yaml): JSON by default. */
  dumpResults?: (r: Record<string, unknown>, verbosity: number) => string;
  /** How a diff's before/after data (not text) is shown: indented JSON by default. */
  serializeDiff?: (v: unknown) => string;
}

export class DefaultCallback implements Callback {
  #d: Display;
  #o: DefaultCallbackOptions;
  #lastBanner: number | undefined;
  #lastTaskName: string | undefined;
  #prefix = new Map<number, string>();
  #play: PlayView | undefined;

  constructor(display: Display, opts: DefaultCallbackOptions) {
    this.#d = display;
    this.#o = { displaySkippedHosts: true, displayOkHosts: true, ...opts };
  }

  playbookStart(file: string): void {
    if (this.#d.verbosity > 1) this.#d.banner(`PLAYBOOK: ${file.split("/").pop()}`);
    if (this.#o.check && this.#o.checkModeMarkers) this.#d.banner("DRY RUN");
  }

  playStart(play: PlayView): void {
    this.#play = play;
    const check = play.checkMode && this.#o.checkModeMarkers ? " [CHECK MODE]" : "";
    const name = play.name.trim();
    this.#d.banner(name ? `PLAY [${name}]${check}` : `PLAY${check}`);
  }

  taskStart(task: TaskView, prefix: "TASK" | "RUNNING HANDLER"): void {
    this.#d.beginTask();
    this.#prefix.set(task.id, prefix);
    if (
      this.#play && ["free", "host_pinned"].includes(this.#play.strategy.replace(/^ansible\.builtin\./, ""))
    ) {
      this.#lastTaskName = undefined;
    } else {
      this.#lastTaskName = task.name.trim();
      if (this.#o.displaySkippedHosts && this.#o.displayOkHosts) this.#banner(task);
    }
  }

  runnerStart(): void {}

  /** -vv: a changed result notified a handler (once per handler and host). */
  notify(handler: string, host: string): void {
    if (this.#d.verbosity > 1) this.#d.display(`NOTIFIED HANDLER ${handler} for ${host}`, "verbose");
  }

  #banner(task: TaskView): void {
    const prefix = this.#prefix.get(task.id) ?? "TASK";
    const name = this.#lastTaskName ?? task.name.trim();
    const check = task.checkMode && this.#o.checkModeMarkers ? " [CHECK MODE]" : "";
    const args = this.#o.displayArgsToStdout && !task.argsHidden
      ? ` ${taskArgsText(task, this.#o.pyStr)}`
      : "";
    this.#d.banner(`${prefix} [${name}${args}]${check}`);
    if (this.#d.verbosity >= 2 && task.path) this.#d.display(`task path: ${task.path}`, "debug");
    this.#lastBanner = task.id;
  }

  #ensureBanner(task: TaskView): void {
    if (this.#lastBanner !== task.id) this.#banner(task);
  }

  #label(ev: ResultEvent): string {
    const r = ev.result;
    if (r._ansible_no_log) return "(censored due to no_log)";
    return this.#o.pyStr("_ansible_item_label" in r ? r._ansible_item_label : r.item);
  }

  #hostLabel(ev: ResultEvent): string {
    let label = ev.host;
    const d = ev.task.delegateTo;
    if (d && d !== ev.host) {
      label += ` -> ${d}`;
      const delegated = ev.result._ansible_delegated_vars as Record<string, unknown> | undefined;
      const ahost = delegated?.ansible_host ?? d;
      if (ahost !== d) label += `(${String(ahost)})`;
    }
    return label;
  }

  #verbose(r: Record<string, unknown>, level = 0): boolean {
    return (this.#d.verbosity > level || r._ansible_verbose_always === true) &&
      r._ansible_verbose_override !== true;
  }

  #dump(r: Record<string, unknown>): string {
    if (this.#o.dumpResults) return this.#o.dumpResults(r, this.#d.verbosity);
    return dumpResults(r, this.#d.verbosity, undefined, this.#o.resultFormat);
  }

  #clean(r: Record<string, unknown>, action: string): Record<string, unknown> {
    return cleanResults(r, action);
  }

  #warnings(r: Record<string, unknown>): Record<string, unknown> {
    return showWarnings(this.#d, r);
  }

  #exception(r: Record<string, unknown>): Record<string, unknown> {
    return showException(this.#d, r);
  }

  result(ev: ResultEvent): void {
    let r = ev.result;
    const task = ev.task;
    if (ev.status === "ok") {
      if (task.isInclude) {
        this.#ensureBanner(task);
        return;
      }
      // Ansible shows the diff first (v2_on_file_diff); a loop's items showed their own.
      if (!ev.diffShown) this.fileDiff(ev);
      const changed = r.changed === true;
      if (!changed && !this.#o.displayOkHosts) return;
      this.#ensureBanner(task);
      r = this.#warnings(r);
      if (task.hasLoop && "results" in r) return;
      let msg = `${changed ? "changed" : "ok"}: [${this.#hostLabel(ev)}]`;
      const clean = this.#clean(r, task.action);
      if (this.#verbose(clean)) msg += ` => ${this.#dump(clean)}`;
      this.#d.display(msg, changed ? "changed" : "ok");
    } else if (ev.status === "failed") {
      this.#ensureBanner(task);
      r = this.#exception(this.#clean(r, task.action));
      r = this.#warnings(r);
      if (!(task.hasLoop && "results" in r)) {
        this.#d.display(`fatal: [${this.#hostLabel(ev)}]: FAILED! => ${this.#dump(r)}`, "error");
      }
      if (ev.ignoreErrors) this.#d.display("...ignoring", "skip");
    } else if (ev.status === "skipped") {
      if (!this.#o.displaySkippedHosts) return;
      this.#ensureBanner(task);
      const clean = this.#clean(r, task.action);
      delete clean.results;
      let msg = `skipping: [${ev.host}]`;
      if (this.#verbose(clean)) msg += ` => ${this.#dump(clean)}`;
      this.#d.display(msg, "skip");
    } else {
      this.#ensureBanner(task);
      this.#d.display(`fatal: [${this.#hostLabel(ev)}]: UNREACHABLE! => ${this.#dump(r)}`, "unreachable");
      if (ev.ignoreUnreachable) this.#d.display("...ignoring", "skip");
    }
  }

  itemResult(ev: ResultEvent): void {
    const task = ev.task;
    let r = ev.result;
    if (ev.status === "ok") {
      if (task.isInclude) return;
      if (!ev.diffShown) this.fileDiff(ev);
      const changed = r.changed === true;
      if (!changed && !this.#o.displayOkHosts) return;
      this.#ensureBanner(task);
      let msg = `${changed ? "changed" : "ok"}: [${this.#hostLabel(ev)}] => (item=${this.#label(ev)})`;
      r = this.#clean(r, task.action);
      if (this.#verbose(r)) msg += ` => ${this.#dump(r)}`;
      this.#d.display(msg, changed ? "changed" : "ok");
    } else if (ev.status === "failed") {
      this.#ensureBanner(task);
      r = this.#exception(this.#clean(r, task.action));
      r = this.#warnings(r);
      this.#d.display(
        `failed: [${this.#hostLabel(ev)}] (item=${this.#label(ev)}) => ${this.#dump(r)}`,
        "error",
      );
    } else if (ev.status === "skipped") {
      if (!this.#o.displaySkippedHosts) return;
      this.#ensureBanner(task);
      r = this.#clean(r, task.action);
      let msg = `skipping: [${ev.host}] => (item=${this.#label(ev)}) `;
      if (this.#verbose(r)) msg += ` => ${this.#dump(r)}`;
      this.#d.display(msg, "skip");
    }
  }

  retry(ev: ResultEvent): void {
    const r = ev.result;
    // Ansible names the task as written (no role prefix), or as the banner does when it has no name
    let msg = `FAILED - RETRYING: [${this.#hostLabel(ev)}]: ${ev.task.ownName || ev.task.name} (${
      Number(r.retries) - Number(r.attempts)
    } retries left).`;
    if (this.#verbose(r, 2)) msg += `Result was: ${this.#dump(r)}`;
    this.#d.display(msg, "debug");
  }

  asyncStatus(host: string, _task: TaskView, e: AsyncView): void {
    this.#d.display(asyncLine(host, e), "debug");
  }

  include(file: string, hosts: string[], item?: unknown): void {
    let msg = `included: ${file} for ${hosts.join(", ")}`;
    if (item !== undefined) msg += ` => (item=${this.#o.pyStr(item)})`;
    this.#d.display(msg, "skip");
  }

  noHostsMatched(): void {
    this.#d.display("skipping: no hosts matched", "skip");
  }

  noHostsRemaining(): void {
    this.#d.banner("NO MORE HOSTS LEFT");
  }

  warning(message: string, from?: WarningSource): void {
    this.#d.warning(message, from);
  }

  verbose(message: string, level: number): void {
    this.#d.verbose(message, level);
  }

  /**
   * A changed result's diff (a task's, or one item's, before that item's line), as Ansible's
   * v2_on_file_diff shows it; result() and itemResult() show it themselves unless `diffShown`.
   */
  fileDiff(ev: ResultEvent): void {
    if (!this.#o.diff && !ev.task.diff) return;
    const r = ev.result;
    if (!r.diff || !r.changed) return;
    const text = this.#diffText(r.diff);
    if (text) {
      this.#ensureBanner(ev.task);
      this.#d.displayStyled(text);
    }
  }

  #diffText(diffs: unknown): string {
    const fmt = this.#o.resultFormat;
    return diffText(
      this.#d,
      diffs,
      this.#o.serializeDiff ?? (fmt?.format === "yaml" ? yamlDiff(fmt) : undefined),
    );
  }

  stats(stats: StatsView): void {
    this.#d.banner("PLAY RECAP");
    for (const h of Object.keys(stats.hosts).sort()) {
      const t = stats.hosts[h];
      const col = (lead: string, n: number, color?: Parameters<Display["colorize"]>[1]) => {
        const s = `${lead}=${String(n).padEnd(4)}`;
        return n !== 0 ? this.#d.colorize(s, color) : s;
      };
      let host: string;
      if (this.#d.color) {
        const c = t.failures || t.unreachable ? "error" : t.changed ? "changed" : "ok";
        host = this.#d.colorize(h, c).padEnd(37);
      } else host = escapeControls(h).padEnd(26);
      this.#d.displayStyled(
        `${host} : ${col("ok", t.ok, "ok")} ${col("changed", t.changed, "changed")} ${
          col("unreachable", t.unreachable, "unreachable")
        } ${col("failed", t.failures, "error")} ${col("skipped", t.skipped, "skip")} ${
          col("rescued", t.rescued, "ok")
        } ${col("ignored", t.ignored, "warn")}`,
      );
    }
    this.#d.display("");
    const custom = Object.keys(stats.custom);
    if (custom.length && this.#o.showCustomStats) {
      this.#d.banner("CUSTOM STATS: ");
      for (const k of custom.sort()) {
        if (k === "_run") continue;
        this.#d.display(`\t${k}: ${pyJson(stats.custom[k], 1).replace(/\n/g, "")}`);
      }
      if ("_run" in stats.custom) {
        this.#d.display("");
        this.#d.display(`\tRUN: ${pyJson(stats.custom._run, 1).replace(/\n/g, "")}`);
      }
      this.#d.display("");
    }
    if (this.#o.check && this.#o.checkModeMarkers) this.#d.banner("DRY RUN");
  }

  close(): void {}
}
