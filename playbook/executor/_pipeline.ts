// Task pipelining (docs/pipelining.md): which tasks of a host may be sent before the replies of the tasks
// in flight on it, and the per-host record of what was sent. The rules are pure; the sending is the task
// executor's. Whatever these rules cannot prove independent waits, as every task did before.
import type { Item, Scope, Task } from "../model.ts";
import { type LayeredVars, PLAIN_KEYS } from "../vars.ts";
import type { Result } from "../actions.ts";
import { CONTROLLER_ACTIONS } from "../actions.ts";
import { isTemplateText } from "../task_args.ts";
import { keyword } from "./_keywords.ts";
import { INCLUDE_ACTIONS } from "./results.ts";
import type { Settled } from "./task_loop.ts";

/** Modules that return facts or act on the connection: always a task of their own. */
const NEVER_CHAINED = new Set([
  "meta",
  "setup",
  "gather_facts",
  "raw",
  "script",
  "async_status",
  "wait_for_connection",
  "reboot",
  "import_tasks",
  "import_role",
]);

/** Keywords that make a task's run depend on other hosts or on its own replies (its own or inherited). */
const BLOCKING_KEYWORDS = ["delegate_to", "run_once", "throttle", "any_errors_fatal", "async", "until"];

/**
 * Names a pipelined task must not read: what tasks in flight (on this host or, in the same round, on the
 * others) may change before its turn (other hosts' results and facts, the hosts still in the play, the
 * facts the connection reports), and the globals whose answer may change between two readings or that
 * act on the controller (lookups). Its templating is refused at the first of them (LayeredVars.recording),
 * so a lookup never runs for a task that is then not sent.
 */
export const UNSTABLE_NAMES: ReadonlySet<string> = new Set([
  "*",
  "hostvars",
  "vars",
  "play_hosts",
  "ansible_play_hosts",
  "ansible_play_batch",
  "ansible_play_hosts_all",
  "ansible_facts",
  "ansible_failed_task",
  "ansible_failed_result",
  "ansible_discovered_interpreter_python",
  "discovered_interpreter_python",
  "lookup",
  "query",
  "q",
  "now",
  "undef",
]);

/** Filters whose answer differs from one reading to the next: the task would be templated twice. */
const UNSTABLE_TEXT = /\b(random|shuffle|password_hash|to_uuid|uuid|lookup|query|now)\b/;

/** What the task executor needs to know of a run to decide (the runner's and the play's answers). */
export interface PipelineRules {
  /** Whether the runner runs the module as one call that honours a chain (HostRunner.chainable). */
  chainable(module: string): boolean;
  /** Whether an action plugin (controller Python) runs the action instead of the module. */
  actionPlugin(task: Task): boolean;
}

/** Why a task is not one plain module call on its host, or undefined when it is. */
function notPlain(task: Task, rules: PipelineRules): string | undefined {
  const a = task.action;
  if (task.implicit || task.isHandler) return "implicit task or handler";
  if (isTemplateText(task.actionWritten)) return "templated action";
  if (CONTROLLER_ACTIONS[a] || INCLUDE_ACTIONS.has(a) || NEVER_CHAINED.has(a) || a.endsWith("_facts")) {
    return `action ${a}`;
  }
  if (!rules.chainable(a) || rules.actionPlugin(task)) return `action ${a} is more than one call`;
  if (task.kw.loop !== undefined || task.loopWith) return "loop";
  for (const k of BLOCKING_KEYWORDS) if (keyword(task, k) !== undefined) return `keyword ${k}`;
  return undefined;
}

/** A constant changed_when (`false`, `true`): it cannot fail the task on the controller. */
const constantCondition = (v: unknown): boolean =>
  typeof v === "boolean" || (typeof v === "string" && /^\s*(true|false|yes|no)\s*$/i.test(v));

/**
 * Why tasks may not be sent after `task` before its reply, or undefined when they may: its reply is
 * judged on the target (docs/pipelining.md) unless the controller may still turn it into a failure.
 */
export function cannotLead(task: Task, rules: PipelineRules): string | undefined {
  const why = notPlain(task, rules);
  if (why) return why;
  if (task.kw.failed_when !== undefined && task.kw.failed_when !== null) return "failed_when";
  const cw = task.kw.changed_when;
  if (cw !== undefined && cw !== null && !(Array.isArray(cw) ? cw : [cw]).every(constantCondition)) {
    return "changed_when";
  }
  return undefined;
}

/** Why `task` may not be sent ahead, before templating it (undefined: it may be, if its reads allow). */
export function cannotFollow(task: Task, rules: PipelineRules): string | undefined {
  const why = notPlain(task, rules);
  if (why) return why;
  // a conditional with delimiters warns each time it is templated: templated twice, it would warn twice
  for (let s: Scope | undefined = task; s; s = s.parent) {
    const when = s.kw.when;
    for (const w of Array.isArray(when) ? when : [when]) {
      if (typeof w === "string" && /\{\{|\{%/.test(w)) return "when with delimiters";
    }
  }
  return undefined;
}

/**
 * Why a task templated with `reads` (the names its templating read) may not run before the tasks in
 * flight answered, or undefined when it may: it reads what they register, or an unstable name, or text
 * (its own, or a variable's it read) whose value changes between readings.
 */
export function dependsOnInFlight(
  task: Task,
  reads: Set<string>,
  vars: LayeredVars,
  registered: Set<string>,
): string | undefined {
  for (const name of reads) {
    // The plain layers' names are listed for the connection variables (module_request.ts), which keeps
    // the ansible_* and mitogen_* ones: a task in flight registering such a name could change them.
    if (name === PLAIN_KEYS) {
      const conn = [...registered].find((r) => r.startsWith("ansible_") || r.startsWith("mitogen_"));
      if (conn !== undefined) return `registers ${conn}, a connection variable's name`;
      continue;
    }
    if (registered.has(name)) return `reads ${name}, registered by a task in flight`;
    if (UNSTABLE_NAMES.has(name)) return `reads ${name}`;
    if (unstableText(vars.raw(name))) return `variable ${name} is not the same at each reading`;
  }
  for (let s: Scope | undefined = task; s; s = s.parent) {
    if (unstableText(s.kw)) return "a keyword is not the same at each reading";
  }
  if (unstableText(task.args)) return "an argument is not the same at each reading";
  return undefined;
}

function unstableText(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return isTemplateText(v) && UNSTABLE_TEXT.test(v);
  if (depth > 20 || v === null || typeof v !== "object") return false;
  return Object.values(v as Record<string, unknown>).some((x) => unstableText(x, depth + 1));
}

/** A task sent ahead: the reply it will have, and the mark of its call. */
interface Sent {
  task: Task;
  reply: Promise<Settled<Result>>;
  register?: string;
}

/**
 * One host's tasks in flight, oldest first, and the tasks that may follow the one it runs now (set by
 * the play engine: the later items of the same list, when the play allows pipelining at all).
 */
export class HostPipeline {
  #sent: Sent[] = [];
  /** The mark of the newest call sent for this host with one, which the next one sent ahead runs after. */
  lastMark: string | undefined;
  /** The task of that call. */
  lastTask: Task | undefined;
  /** The items after the task now running, in its list; undefined where nothing may be sent ahead. */
  upcoming: Item[] | undefined;

  /** The reply of `task` if it was sent ahead and is the oldest in flight (else everything is dropped). */
  take(task: Task): Promise<Settled<Result>> | undefined {
    const first = this.#sent[0];
    if (!first) return undefined;
    if (first.task !== task) {
      // The host left the path the tasks were sent along: they are cancelled on the target (their
      // chain broke) or were never going to be awaited.
      this.clear();
      return undefined;
    }
    this.#sent.shift();
    return first.reply;
  }

  /** The reply of `task` if it was sent ahead and is the oldest in flight, left in place. */
  replyOf(task: Task): Promise<Settled<Result>> | undefined {
    return this.#sent[0]?.task === task ? this.#sent[0].reply : undefined;
  }

  /** Forgets every task sent ahead: a chain that broke cancelled them all on the target. */
  clear(): void {
    this.#sent = [];
    this.lastMark = undefined;
    this.lastTask = undefined;
  }

  add(sent: Sent): void {
    this.#sent.push(sent);
  }

  get inFlight(): number {
    return this.#sent.length;
  }

  /** The names the tasks in flight register. */
  registered(): Set<string> {
    return new Set(this.#sent.flatMap((s) => s.register !== undefined ? [s.register] : []));
  }
}

let marks = 0;
/** A mark unique in this controller's run (marks live in each target interpreter). */
export const nextMark = (): string => `t${++marks}`;
