// The `junit` aggregate callback (ansible-core's junit): each task's result per host as a JUnit test
// case, written at the end of the run to JUNIT_OUTPUT_DIR/<playbook>-<time>.xml. Its options are the
// environment variables the plugin documents, read as it reads them (a setting is on only when it is
// exactly `true`, or for hide/include, off only when exactly `false`, in any case).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PlayView, ResultEvent, TaskView } from "./types.ts";
import type { Display } from "./display.ts";
import { IgnoringCallback } from "./_base.ts";
import { dumpResults, pyStrip } from "./_results.ts";
import { type JunitCase, junitReport } from "./_junit_xml.ts";
import { floatRepr, pyRepr, pyStr } from "../py/repr.ts";
import { truthy } from "../template/mod.ts";

export interface JunitOptions {
  outputDir: string;
  /** JUNIT_TASK_CLASS: one class per YAML file (the line number dropped). */
  taskClass: boolean;
  /** JUNIT_TASK_RELATIVE_PATH: class names relative to this directory. */
  taskRelativePath: string;
  /** JUNIT_REPLACE_OUT_OF_TREE_PATH: what stands for the directory of a class name outside the tree. */
  replaceOutOfTreePath?: string;
  failOnChange: boolean;
  failOnIgnore: boolean;
  includeSetupTasks: boolean;
  hideTaskArguments: boolean;
  /** JUNIT_TEST_CASE_PREFIX: only tasks named so are cases (failed ones always are). */
  testCasePrefix: string;
}

/** The options from the environment, as the plugin reads them. */
export function junitOptions(env: Record<string, string | undefined>, home = os.homedir()): JunitOptions {
  const lower = (name: string, dflt: string) => (env[name] ?? dflt).toLowerCase();
  return {
    outputDir: env.JUNIT_OUTPUT_DIR ?? path.join(home, ".ansible.log"),
    taskClass: lower("JUNIT_TASK_CLASS", "False") === "true",
    taskRelativePath: env.JUNIT_TASK_RELATIVE_PATH ?? "",
    replaceOutOfTreePath: env.JUNIT_REPLACE_OUT_OF_TREE_PATH,
    failOnChange: lower("JUNIT_FAIL_ON_CHANGE", "False") === "true",
    failOnIgnore: lower("JUNIT_FAIL_ON_IGNORE", "False") === "true",
    includeSetupTasks: lower("JUNIT_INCLUDE_SETUP_TASKS_IN_REPORT", "True") !== "false",
    hideTaskArguments: lower("JUNIT_HIDE_TASK_ARGUMENTS", "False") !== "false",
    testCasePrefix: env.JUNIT_TEST_CASE_PREFIX ?? "",
  };
}

type Status = "ok" | "failed" | "skipped" | "included";

interface HostData {
  status: Status;
  /** The result, or for an include, what Ansible's IncludedFile shows of itself. */
  result: Record<string, unknown> | string;
  finish: number;
}

interface TaskData {
  name: string;
  path: string;
  play: string;
  action: string;
  start: number;
  hosts: Map<string, HostData>;
}

/** The one include host: Ansible reports an included file under this name, not a host's. */
const INCLUDE = "include";

/** Ansible's _ACTION_SETUP: an explicit setup task (the implicit fact gathering is gather_facts). */
const SETUP = /^(ansible\.(builtin|legacy)\.)?setup$/;

/** time.time(): seconds, with the fraction a monotonic clock adds to the wall clock's start. */
function now(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

export class JunitCallback extends IgnoringCallback {
  #d: Display;
  #o: JunitOptions;
  #clock: () => number;
  #playbook = "";
  #play = "";
  #tasks = new Map<number, TaskData>();
  /** The last result of each include task (by task id and host): where its items' loop variables are. */
  #includeResults = new Map<string, Record<string, unknown>>();
  #lastInclude: number | undefined;

  constructor(display: Display, opts: JunitOptions, clock: () => number = now) {
    super();
    this.#d = display;
    this.#o = opts;
    this.#clock = clock;
    // The plugin makes its directory as it loads, whether or not the run gets to write a report.
    try {
      fs.mkdirSync(opts.outputDir, { recursive: true });
    } catch (err) {
      display.warning(`junit: cannot create ${opts.outputDir}: ${(err as Error).message}`);
    }
  }

  override playbookStart(file: string): void {
    this.#playbook = path.parse(path.basename(file)).name;
  }

  override playStart(play: PlayView): void {
    this.#play = play.name;
  }

  override taskStart(task: TaskView): void {
    if (this.#tasks.has(task.id)) return;
    let name = pyStrip(task.name);
    const args = Object.entries(task.args ?? {}).filter(([k]) => !k.startsWith("__"));
    if (!truthy(task.writtenNoLog ?? false) && !this.#o.hideTaskArguments && args.length) {
      name += " " + args.map(([k, v]) => `${k}=${pyStr(v)}`).join(", ");
    }
    this.#tasks.set(task.id, {
      name,
      path: task.path,
      play: this.#play,
      action: task.action,
      start: this.#clock(),
      hosts: new Map(),
    });
    if (task.isInclude) this.#lastInclude = task.id;
  }

  override result(ev: ResultEvent): void {
    if (ev.status === "unreachable") return;
    if (ev.task.isInclude) this.#includeResults.set(`${ev.task.id}\0${ev.host}`, ev.result);
    const status: Status = ev.status === "failed" && ev.ignoreErrors && !this.#o.failOnIgnore
      ? "ok"
      : ev.status;
    this.#finish(ev.task.id, ev.host, status, ev.result);
  }

  #finish(taskId: number, host: string, status: Status, result: HostData["result"]): void {
    const task = this.#tasks.get(taskId);
    if (!task) return;
    if (
      this.#o.failOnChange && status === "ok" && typeof result === "object" && truthy(result.changed ?? false)
    ) status = "failed";
    if (status === "failed" && task.name.includes("EXPECTED FAILURE")) status = "ok";
    else if (task.name.includes("TOGGLE RESULT")) {
      if (status === "failed") status = "ok";
      else if (status === "ok") status = "failed";
    }
    if (!task.name.startsWith(this.#o.testCasePrefix) && status !== "failed") return;
    const seen = task.hosts.get(host);
    if (seen) {
      if (status !== "included") {
        // Ansible's callback raises here, and the plugin's warning names the host; the first result stays.
        this.#d.warning(`${task.path}: ${task.play}: ${task.name}: duplicate host callback: ${host}`);
        return;
      }
      result = `${seen.result}\n${result}`;
    }
    task.hosts.set(host, { status, result, finish: this.#clock() });
  }

  override include(file: string, hosts: string[], item?: unknown): void {
    const taskId = this.#lastInclude;
    if (taskId === undefined) return;
    const vars = item === undefined ? {} : this.#loopVars(taskId, hosts, item);
    this.#finish(
      taskId,
      INCLUDE,
      "included",
      `${file} (args={} vars=${pyRepr(vars)}): [${hosts.join(", ")}]`,
    );
  }

  /** The loop variables an included file's item carries (IncludedFile's vars), from the include's result. */
  #loopVars(taskId: number, hosts: string[], item: unknown): Record<string, unknown> {
    const result = this.#includeResults.get(`${taskId}\0${hosts[0]}`);
    const items = Array.isArray(result?.results) ? result.results as Record<string, unknown>[] : [];
    // the executor names an included item by its label (loop_control.label), else by the item itself
    const same = (r: Record<string, unknown>) => {
      const shown = "_ansible_item_label" in r
        ? r._ansible_item_label
        : r[String(r.ansible_loop_var ?? "item")];
      return JSON.stringify(shown) === JSON.stringify(item);
    };
    const r = items.find(same);
    if (!r) return { item, _ansible_item_label: item };
    const loopVar = String(r.ansible_loop_var ?? "item");
    const vars: Record<string, unknown> = { [loopVar]: r[loopVar] };
    const indexVar = r.ansible_index_var;
    if (typeof indexVar === "string" && indexVar in r) vars[indexVar] = r[indexVar];
    if ("_ansible_item_label" in r) vars._ansible_item_label = r._ansible_item_label;
    else vars._ansible_item_label = r[loopVar];
    if ("ansible_loop" in r) vars.ansible_loop = r.ansible_loop;
    return vars;
  }

  #case(task: TaskData, host: string, data: HostData): JunitCase {
    let classname = task.path;
    if (this.#o.taskRelativePath && task.path) classname = path.relative(this.#o.taskRelativePath, task.path);
    if (this.#o.replaceOutOfTreePath !== undefined && classname.startsWith("../")) {
      classname = this.#o.replaceOutOfTreePath + path.basename(classname);
    }
    if (this.#o.taskClass) classname = classname.replace(/\.yml:[0-9]+$/, "");
    const c: JunitCase = {
      name: `[${host}] ${task.play}: ${task.name}`,
      classname,
      time: data.finish - task.start,
    };
    if (typeof data.result === "string") return { ...c, systemOut: data.result };
    const res = data.result;
    const dump = dumpResults(res, this.#d.verbosity, 0).toWellFormed();
    if (data.status === "ok") return { ...c, systemOut: dump };
    if (data.status === "failed") {
      if ("exception" in res) {
        const output = pyStr(res.exception);
        return { ...c, problem: { tag: "error", message: pyStrip(output).split("\n").at(-1), output } };
      }
      const message = "msg" in res
        ? (res.msg === null ? undefined : pyStr(res.msg))
        : `rc=${pyStr("rc" in res ? res.rc : 0)}`;
      return { ...c, problem: { tag: "failure", message, output: dump } };
    }
    const reason = "skip_reason" in res ? res.skip_reason : "skipped";
    return reason === null || reason === undefined ? c : { ...c, skipped: pyStr(reason) };
  }

  override stats(): void {
    const cases: JunitCase[] = [];
    for (const task of this.#tasks.values()) {
      if (SETUP.test(task.action) && !this.#o.includeSetupTasks) continue;
      for (const [host, data] of task.hosts) cases.push(this.#case(task, host, data));
    }
    const file = path.join(this.#o.outputDir, `${this.#playbook}-${floatRepr(this.#clock())}.xml`);
    try {
      fs.writeFileSync(file, junitReport(this.#playbook, cases));
    } catch (err) {
      // one unwritable report does not end the run (Ansible's callback failure is a warning too)
      this.#d.warning(`junit: cannot write ${file}: ${(err as Error).message}`);
    }
  }
}
