// A task's keywords as the executor reads them: inherited from enclosing blocks, roles and the play,
// templated against the task's variables; and the task's name and view as callbacks show them.
import type { Scope, Task } from "../model.ts";
import { INHERITED, roleFullName, shownTaskName } from "../model.ts";
import { scopeChain, type VarLookup } from "../vars.ts";
import type { TaskView } from "../callbacks/types.ts";
import { tagList } from "../tags.ts";
import { asList } from "../loader.ts";
import type { TemplateEngine } from "./types.ts";
import { bool } from "./_util.ts";
import { boolean, NotABooleanError } from "../py/boolean.ts";
import { TaskTemplateError } from "./_task_errors.ts";
import { isTemplateText, shortActionName } from "../task_args.ts";

const INHERITED_KEYWORDS = new Set<string>(INHERITED);

/** A keyword's value for a task: its own, else (for inherited keywords) the nearest enclosing scope's. */
export function keyword(scope: Scope, name: string): unknown {
  if (!INHERITED_KEYWORDS.has(name)) return scope.kw[name];
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.kw[name] !== undefined) return s.kw[name];
  }
  return undefined;
}

/**
 * A keyword's templated value as `keyword` finds it, except that one templated to omit is as if unset:
 * the enclosing scope's applies for an inherited keyword (Ansible's set_to_context), none for another.
 */
export function templatedKeyword(
  scope: Scope,
  name: string,
  o: { templar: TemplateEngine; omitToken: string },
  vars: VarLookup,
): unknown {
  const inherited = INHERITED_KEYWORDS.has(name);
  for (let s: Scope | undefined = scope; s; s = inherited ? s.parent : undefined) {
    const v = s.kw[name];
    if (v === undefined) continue;
    const out = o.templar.template(v, vars);
    if (out !== o.omitToken) return out;
  }
  return undefined;
}

/** Tags of a task: its own and every enclosing scope's. */
export function tagsOf(scope: Scope): Set<string> {
  const out = new Set<string>();
  for (let s: Scope | undefined = scope; s; s = s.parent) for (const t of tagList(s.kw.tags)) out.add(t);
  return out;
}

/** Every `when` from the play down to the task, outermost first. */
export function whensOf(scope: Scope): unknown[] {
  return scopeChain(scope).flatMap((s) => asList(s.kw.when));
}

/** check_mode: the keyword when set, else the run's --check. */
export function checkMode(
  task: Task,
  vars: VarLookup,
  o: { templar: TemplateEngine; check: boolean; omitToken: string },
): boolean {
  const v = templatedKeyword(task, "check_mode", o, vars);
  if (v === undefined || v === null) return o.check;
  return bool(v);
}

/** The keywords that need templating: read through one templating engine. */
export class TaskKeywords {
  #templar: TemplateEngine;
  #omitToken: string;

  constructor(templar: TemplateEngine, omitToken: string) {
    this.#templar = templar;
    this.#omitToken = omitToken;
  }

  bool(scope: Scope, name: string, vars: VarLookup, dflt = false): boolean {
    const v = templatedKeyword(scope, name, { templar: this.#templar, omitToken: this.#omitToken }, vars);
    if (v === undefined || v === null) return dflt;
    return bool(v);
  }

  /** As bool, false when the keyword cannot be templated. */
  boolSafe(task: Task, name: string, vars: VarLookup, dflt = false): boolean {
    try {
      return this.bool(task, name, vars, dflt);
    } catch {
      return false;
    }
  }

  taskName(task: Task, vars?: VarLookup): string {
    return shownTaskName(task, this.ownName(task, vars));
  }

  /** The task's name as written, templated when it can be; "" when unnamed. */
  ownName(task: Task, vars?: VarLookup): string {
    let name = task.kw.name !== undefined && task.kw.name !== null ? String(task.kw.name) : "";
    if (name && vars && name.includes("{{")) {
      try {
        name = String(this.#templar.template(name, vars));
      } catch {
        // Ansible shows the raw name when it cannot be templated yet.
      }
    }
    return name;
  }

  view(task: Task, vars?: VarLookup, delegateTo?: string): TaskView {
    const pos = task.pos;
    const own = this.ownName(task, vars);
    const diffKw = keyword(task, "diff");
    return {
      id: task.id,
      name: shownTaskName(task, own),
      ownName: own,
      role: task.role?.name,
      resolvedRole: task.role && roleFullName(task.role),
      loopWith: task.loopWith,
      action: task.actionWritten,
      writtenNoLog: keyword(task, "no_log"),
      path: pos ? `${pos.file}:${pos.line}` : "",
      noLog: false,
      checkMode: false,
      delegateTo,
      hasLoop: task.kw.loop !== undefined,
      isInclude: task.action === "include_tasks" || task.action === "include_role",
      diff: diffKw === undefined ? undefined : bool(vars ? this.#templar.template(diffKw, vars) : diffKw),
      args: task.args,
      // Ansible reads the task's no_log untemplated here: any non-empty template hides the args
      argsHidden: ![undefined, null, false, "", 0].includes(keyword(task, "no_log") as never),
    };
  }
}

/**
 * The task with its module name templated, for `action: {module: "{{ m }}"}`: Ansible templates the
 * action with the task's other fields on each host (the banner, shown before, has it as written). A
 * name that is not templated returns the task itself.
 */
export function withTemplatedAction(task: Task, templar: TemplateEngine, vars: VarLookup): Task {
  if (!isTemplateText(task.action)) return task;
  const action = String(templar.template(task.action, vars));
  return { ...task, action: shortActionName(action), actionWritten: action };
}

/** A Task's keywords of type bool, in the order Ansible's post_validate checks them. */
const BOOL_KEYWORDS = [
  "any_errors_fatal",
  "become",
  "check_mode",
  "delegate_facts",
  "diff",
  "ignore_errors",
  "ignore_unreachable",
  "no_log",
  "run_once",
];

/** A keyword that does not template to a boolean: Ansible's parser error, raised when the task runs. */
export class InvalidKeywordError extends TaskTemplateError {
  override name = "InvalidKeywordError";
  constructor(name: string, written: unknown, cause: NotABooleanError) {
    const why = cause.ansibleText;
    super(
      `the field '${name}' has an invalid value (${
        String(written)
      }), and could not be converted to an bool.` +
        `The error was: ${why}. ${why}`,
    );
  }
}

/**
 * Checks the task's boolean keywords (its own and inherited) strictly, as Ansible's post_validate does
 * once the task's `when` has passed: `diff: yes.` fails the task rather than reading as false.
 */
export function checkBoolKeywords(task: Task, templar: TemplateEngine, vars: VarLookup, omit: string): void {
  for (const name of BOOL_KEYWORDS) {
    const written = keyword(task, name);
    if (written === undefined || written === null) continue;
    const v = templar.template(written, vars);
    try {
      // a keyword templated to omit takes its default
      if (v !== null && v !== undefined && v !== omit) boolean(v);
    } catch (err) {
      if (err instanceof NotABooleanError) throw new InvalidKeywordError(name, written, err);
      throw err;
    }
  }
}
