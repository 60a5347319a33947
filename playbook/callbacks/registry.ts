// Which callbacks a run uses: the stdout callback (stdout_callback / ANSIBLE_STDOUT_CALLBACK) and the
// enabled aggregate ones (callbacks_enabled / ANSIBLE_CALLBACKS_ENABLED), by their short or collection
// names. One entry per callback: adding a callback is adding an entry.
import type {
  AsyncView,
  Callback,
  PlayView,
  ResultEvent,
  StatsView,
  TaskView,
  WarningSource,
} from "./types.ts";
import type { Display } from "./display.ts";
import type { ResultFormat } from "./_results.ts";
import { asyncLine, DefaultCallback } from "./default.ts";
import { JsonCallback } from "./json.ts";
import { MinimalCallback } from "./minimal.ts";
import { OnelineCallback } from "./oneline.ts";
import { TreeCallback } from "./tree.ts";
import { YamlCallback } from "./yaml.ts";
import { profileOptions, ProfileTasksCallback } from "./profile_tasks.ts";
import { TimerCallback } from "./timer.ts";
import { ProfileRolesCallback } from "./profile_roles.ts";
import { JunitCallback, junitOptions } from "./junit.ts";

/** What a callback may be built from: the screen, the run's flags and settings, the environment. */
export interface CallbackSetup {
  display: Display;
  check: boolean;
  diff: boolean;
  pyStr: (v: unknown) => string;
  displaySkippedHosts: boolean;
  displayOkHosts: boolean;
  showCustomStats: boolean;
  /** display_args_to_stdout: task banners show their args. */
  displayArgsToStdout?: boolean;
  env: Record<string, string | undefined>;
  /** `ansible -t DIR`: the tree callback's directory. */
  treeDir?: string;
  /** result_format and pretty_results, for the default and minimal callbacks. */
  resultFormat?: ResultFormat;
  /** A callback's option it cannot use (shown once, as a warning). */
  warn: (message: string) => void;
}

export interface CallbackEntry {
  /** stdout: prints the run (one per run); aggregate: adds to it (any number). */
  kind: "stdout" | "aggregate";
  /** The collection names it also answers to (`community.general.yaml`). */
  aliases?: string[];
  create(setup: CallbackSetup): Callback;
}

/** The default callback's options (also those of the callbacks built on it). */
function defaultOptions(s: CallbackSetup) {
  return {
    check: s.check,
    diff: s.diff,
    pyStr: s.pyStr,
    displaySkippedHosts: s.displaySkippedHosts,
    displayOkHosts: s.displayOkHosts,
    showCustomStats: s.showCustomStats,
    displayArgsToStdout: s.displayArgsToStdout,
    resultFormat: s.resultFormat,
  };
}

export const CALLBACKS: Record<string, CallbackEntry> = {
  default: { kind: "stdout", create: (s) => new DefaultCallback(s.display, defaultOptions(s)) },
  yaml: {
    kind: "stdout",
    aliases: ["community.general.yaml"],
    create: (s) => new YamlCallback(s.display, defaultOptions(s)),
  },
  json: { kind: "stdout", aliases: ["ansible.posix.json"], create: (s) => new JsonCallback(s.display) },
  minimal: {
    kind: "stdout",
    create: (s) => new MinimalCallback(s.display, { diff: s.diff, resultFormat: s.resultFormat }),
  },
  oneline: { kind: "stdout", create: (s) => new OnelineCallback(s.display) },
  profile_tasks: {
    kind: "aggregate",
    aliases: ["ansible.posix.profile_tasks"],
    create: (s) => {
      const { options, problems } = profileOptions(s.env, "PROFILE_TASKS");
      for (const p of problems) s.warn(`profile_tasks: ${p}`);
      return new ProfileTasksCallback(s.display, options);
    },
  },
  profile_roles: {
    kind: "aggregate",
    aliases: ["ansible.posix.profile_roles"],
    create: (s) => new ProfileRolesCallback(s.display),
  },
  timer: { kind: "aggregate", aliases: ["ansible.posix.timer"], create: (s) => new TimerCallback(s.display) },
  junit: {
    kind: "aggregate",
    // ansible-core's own; the collection name people carry over from old configurations answers too.
    aliases: ["community.general.junit"],
    create: (s) => new JunitCallback(s.display, junitOptions(s.env)),
  },
  tree: {
    kind: "aggregate",
    create: (s) =>
      new TreeCallback(s.display, s.treeDir ?? s.env.ANSIBLE_CALLBACK_TREE_DIR ?? "~/.ansible/tree"),
  },
};

/** The registry's name for a callback named in configuration (short, ansible.builtin.*, or an alias). */
export function callbackName(name: string): string | undefined {
  const short = name.trim().replace(/^ansible\.builtin\./, "");
  if (short in CALLBACKS) return short;
  return Object.keys(CALLBACKS).find((k) => CALLBACKS[k].aliases?.includes(name.trim()));
}

/** Every event to each callback in turn: the stdout callback first, then the aggregate ones. */
export class CallbackSet implements Callback {
  readonly #all: Callback[];
  constructor(all: Callback[]) {
    this.#all = all;
  }
  playbookStart(file: string): void {
    for (const c of this.#all) c.playbookStart(file);
  }
  playStart(play: PlayView): void {
    for (const c of this.#all) c.playStart(play);
  }
  taskStart(task: TaskView, prefix: "TASK" | "RUNNING HANDLER"): void {
    for (const c of this.#all) c.taskStart(task, prefix);
  }
  runnerStart(host: string, task: TaskView): void {
    for (const c of this.#all) c.runnerStart(host, task);
  }
  taskHosts(hosts: string[]): void {
    for (const c of this.#all) c.taskHosts?.(hosts);
  }
  result(ev: ResultEvent): void {
    for (const c of this.#all) c.result(ev);
  }
  itemResult(ev: ResultEvent): void {
    for (const c of this.#all) c.itemResult(ev);
  }
  retry(ev: ResultEvent): void {
    for (const c of this.#all) c.retry(ev);
  }
  // The optional events reach the callbacks that have them, and the rest as the executor would send them
  // to a callback alone, so a set shows what its members would.
  fileDiff(ev: ResultEvent): void {
    for (const c of this.#all) c.fileDiff?.(ev);
  }
  asyncStatus(host: string, task: TaskView, e: AsyncView): void {
    for (const c of this.#all) {
      if (c.asyncStatus) c.asyncStatus(host, task, e);
      else c.verbose(asyncLine(host, e), 0);
    }
  }
  notify(handler: string, host: string): void {
    for (const c of this.#all) c.notify?.(handler, host);
  }
  include(file: string, hosts: string[], item?: unknown): void {
    for (const c of this.#all) c.include(file, hosts, item);
  }
  noHostsMatched(): void {
    for (const c of this.#all) c.noHostsMatched();
  }
  noHostsRemaining(): void {
    for (const c of this.#all) c.noHostsRemaining();
  }
  warning(message: string, from?: WarningSource): void {
    for (const c of this.#all) c.warning(message, from);
  }
  verbose(message: string, level: number): void {
    for (const c of this.#all) c.verbose(message, level);
  }
  stats(stats: StatsView): void {
    for (const c of this.#all) c.stats(stats);
  }
  close(): void {
    for (const c of this.#all) c.close();
  }
}

/**
 * The run's callbacks: `stdout` (unknown: a warning naming it, and the default callback), then each
 * enabled aggregate callback mito provides (unknown ones: one warning each, then skipped).
 */
export function selectCallbacks(
  setup: CallbackSetup,
  want: { stdout: string; enabled: string[] },
): Callback {
  const warn = setup.warn;
  let stdout = callbackName(want.stdout);
  if (stdout === undefined || CALLBACKS[stdout].kind !== "stdout") {
    warn(`stdout callback '${want.stdout}' is not available in mito; using the default callback`);
    stdout = "default";
  }
  const all = [CALLBACKS[stdout].create(setup)];
  const seen = new Set<string>();
  for (const wanted of want.enabled) {
    const name = callbackName(wanted);
    if (name === undefined) {
      warn(`callback '${wanted}' is not available in mito; it is not run`);
      continue;
    }
    // A stdout callback among the enabled ones is skipped, as Ansible skips a second stdout callback.
    if (CALLBACKS[name].kind !== "aggregate" || seen.has(name)) continue;
    seen.add(name);
    all.push(CALLBACKS[name].create(setup));
  }
  return all.length === 1 ? all[0] : new CallbackSet(all);
}
