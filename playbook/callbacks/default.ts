// The default stdout callback: what ansible-playbook prints, line for line.
import type { AsyncView, Callback, PlayView, ResultEvent, StatsView, TaskView } from "./types.ts";
import { type Display, escapeControls } from "./display.ts";
import { pyJson } from "./_pyjson.ts";
import { splitLinesKeep, unifiedDiff } from "./_diff.ts";

const DEBUG_ALLOWED = new Set(["msg", "exception", "warnings", "deprecations"]);
const HIDE_IN_DEBUG = ["changed", "failed", "skipped", "invocation", "skip_reason"];

/** Drops Ansible's internal `_ansible_*` keys at every level, as strip_internal_keys does. */
export function stripInternal(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("_ansible_")) continue;
    out[k] = typeof x === "object" && x !== null && !Array.isArray(x) &&
        Object.getPrototypeOf(x) === Object.prototype
      ? stripInternal(x as Record<string, unknown>)
      : x;
  }
  return out;
}

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

  #banner(task: TaskView): void {
    const prefix = this.#prefix.get(task.id) ?? "TASK";
    const name = this.#lastTaskName ?? task.name.trim();
    const check = task.checkMode && this.#o.checkModeMarkers ? " [CHECK MODE]" : "";
    this.#d.banner(`${prefix} [${name}]${check}`);
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
    const indent = r._ansible_verbose_always || this.#d.verbosity > 2 ? 4 : undefined;
    const clean = stripInternal(r);
    if (this.#d.verbosity < 3) delete clean.invocation;
    if (this.#d.verbosity < 3) delete clean.diff;
    delete clean.exception;
    return pyJson(clean, indent);
  }

  #clean(r: Record<string, unknown>, action: string): Record<string, unknown> {
    const out = { ...r };
    // Ansible's _ACTION_DEBUG: debug under any of its names.
    if (/^(ansible\.(builtin|legacy)\.)?debug$/.test(action)) {
      if ("msg" in out) {
        for (const k of Object.keys(out)) if (!DEBUG_ALLOWED.has(k) && !k.startsWith("_")) delete out[k];
      } else for (const k of HIDE_IN_DEBUG) delete out[k];
    }
    return out;
  }

  #warnings(r: Record<string, unknown>): Record<string, unknown> {
    const out = { ...r };
    if (Array.isArray(out.warnings) && out.warnings.length) {
      // Shown by Ansible's callback, in the main process: once per run.
      for (const w of out.warnings) this.#d.warning(String(w), "main");
    }
    delete out.warnings;
    if (Array.isArray(out.deprecations) && out.deprecations.length) {
      // As Ansible's display.deprecated(**deprecation): the release sentence, once per run.
      for (const w of out.deprecations) {
        const d: Record<string, unknown> = typeof w === "object" && w !== null ? w : { msg: w };
        const opt = (k: string) => d[k] === null || d[k] === undefined ? undefined : String(d[k]);
        this.#d.deprecated(String(d.msg), opt("version"), {
          date: opt("date"),
          collection: opt("collection_name"),
        });
      }
    }
    delete out.deprecations;
    return out;
  }

  #exception(r: Record<string, unknown>): Record<string, unknown> {
    if (!("exception" in r)) return r;
    const text = String(r.exception);
    if (this.#d.verbosity < 3) {
      const last = text.trim().split("\n").pop();
      this.#d.display(
        `An exception occurred during task execution. To see the full traceback, use -vvv. The error was: ${last}`,
        "error",
      );
      return r;
    }
    this.#d.display(`The full traceback is:\n${text}`, "error");
    const out = { ...r };
    delete out.exception;
    return out;
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
    let msg = `FAILED - RETRYING: [${this.#hostLabel(ev)}]: ${ev.task.name} (${
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

  warning(message: string): void {
    this.#d.warning(message);
  }

  verbose(message: string, level: number): void {
    this.#d.verbose(message, level);
  }

  /**
   * A changed result's diff (a task's, or one item's, before that item's line), as Ansible's
   * v2_on_file_diff shows it; result() and itemResult() show it themselves unless `diffShown`.
   */
  fileDiff(ev: ResultEvent): void {
    if (!this.#o.diff) return;
    const r = ev.result;
    if (!r.diff || !r.changed) return;
    const text = this.#diffText(r.diff);
    if (text) {
      this.#ensureBanner(ev.task);
      this.#d.displayStyled(text);
    }
  }

  #diffText(diffs: unknown): string {
    const list = Array.isArray(diffs) ? diffs : [diffs];
    const out: string[] = [];
    for (const raw of list as Record<string, unknown>[]) {
      const diff = { ...raw };
      if ("dst_binary" in diff) out.push("diff skipped: destination file appears to be binary\n");
      if ("src_binary" in diff) out.push("diff skipped: source file appears to be binary\n");
      if ("dst_larger" in diff) {
        out.push(
          `diff skipped: destination file size is greater than ${escapeControls(String(diff.dst_larger))}\n`,
        );
      }
      if ("src_larger" in diff) {
        out.push(
          `diff skipped: source file size is greater than ${escapeControls(String(diff.src_larger))}\n`,
        );
      }
      if ("before" in diff && "after" in diff) {
        for (const k of ["before", "after"]) {
          const v = diff[k];
          if (typeof v === "object" && v !== null) diff[k] = pyJson(v, 4) + "\n";
          else if (v === null || v === undefined) diff[k] = "";
        }
        const bh = "before_header" in diff ? `before: ${diff.before_header}` : "before";
        const ah = "after_header" in diff ? `after: ${diff.after_header}` : "after";
        const b = splitLinesKeep(String(diff.before));
        const a = splitLinesKeep(String(diff.after));
        if (b.length && !b[b.length - 1].endsWith("\n")) {
          b[b.length - 1] += "\n\\ No newline at end of file\n";
        }
        if (a.length && !a[a.length - 1].endsWith("\n")) {
          a[a.length - 1] += "\n\\ No newline at end of file\n";
        }
        const lines = unifiedDiff(b, a, bh, ah);
        for (const line of lines) {
          if (line.startsWith("+")) out.push(this.#d.colorize(line, "diffAdd"));
          else if (line.startsWith("-")) out.push(this.#d.colorize(line, "diffRemove"));
          else if (line.startsWith("@@")) out.push(this.#d.colorize(line, "diffLines"));
          else out.push(escapeControls(line));
        }
        if (lines.length) out.push("\n");
      }
      if ("prepared" in diff) out.push(escapeControls(String(diff.prepared)));
    }
    return out.join("");
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
