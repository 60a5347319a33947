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

const INHERITED_KEYWORDS = new Set<string>(INHERITED);

/** A keyword's value for a task: its own, else (for inherited keywords) the nearest enclosing scope's. */
export function keyword(scope: Scope, name: string): unknown {
  if (!INHERITED_KEYWORDS.has(name)) return scope.kw[name];
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.kw[name] !== undefined) return s.kw[name];
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
  o: { templar: TemplateEngine; check: boolean },
): boolean {
  const v = keyword(task, "check_mode");
  if (v === undefined || v === null) return o.check;
  return bool(o.templar.template(v, vars));
}

/** The keywords that need templating: read through one templating engine. */
export class TaskKeywords {
  #templar: TemplateEngine;

  constructor(templar: TemplateEngine) {
    this.#templar = templar;
  }

  bool(scope: Scope, name: string, vars: VarLookup, dflt = false): boolean {
    const v = keyword(scope, name);
    if (v === undefined || v === null) return dflt;
    return bool(this.#templar.template(v, vars));
  }

  /** As bool, false when the keyword cannot be templated. */
  boolSafe(task: Task, name: string, vars: VarLookup): boolean {
    try {
      return this.bool(task, name, vars);
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
      path: pos ? `${pos.file}:${pos.line}` : "",
      noLog: false,
      checkMode: false,
      delegateTo,
      hasLoop: task.kw.loop !== undefined,
      isInclude: task.action === "include_tasks" || task.action === "include_role",
      diff: diffKw === undefined ? undefined : bool(vars ? this.#templar.template(diffKw, vars) : diffKw),
    };
  }
}
