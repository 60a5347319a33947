// How a task's failures before or around its action are told apart and worded: conditionals that could
// not be evaluated, templating errors that fail the whole task, and the message Ansible gives for each.
import * as fs from "node:fs";
import { positionDetails } from "../errors.ts";
import type { Task } from "../model.ts";
import type { VarLookup } from "../vars.ts";
import { PythonError } from "../template/mod.ts";
import type { TemplateEngine } from "./types.ts";

/**
 * Templating a task failed: the whole task fails with just this message, as Ansible's post_validate (and
 * with `fields` after it where Ansible's task executor adds some: an exception's traceback).
 */
export class TaskTemplateError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
    /** The result has no msg: a Python exception that reached Ansible's worker, its traceback alone. */
    readonly bare = false,
  ) {
    super(message);
  }
}

/**
 * A Python exception other than Ansible's raised while templating (the templating engine's PythonError):
 * Ansible's post_validate turns it into the task's result, unchanged and failed with the traceback alone,
 * whose last line shows.
 */
export function pythonCrash(err: unknown): TaskTemplateError | undefined {
  if (!(err instanceof PythonError)) return undefined;
  return new TaskTemplateError(err.message, {
    changed: false,
    exception: `Traceback (most recent call last):\n${err.message}\n`,
  }, true);
}

/** Ansible's evaluate_conditional wording for a conditional that could not be evaluated. */
export function conditionalFailed(cond: unknown, err: unknown): string {
  // a Python exception is said as Python's str() of it, without its class
  const why = err instanceof PythonError ? err.text : (err as Error).message;
  return `The conditional check '${String(cond)}' failed. The error was: ${why}`;
}

/** One conditional of a list could not be evaluated: which one, and why. */
export class ConditionFailure extends Error {
  constructor(readonly cond: unknown, readonly error: unknown) {
    super(conditionalFailed(cond, error));
  }
}

/** Whether every conditional holds, evaluated in order up to the first false one, as Ansible's evaluate_conditional. */
export function allHold(templar: TemplateEngine, conds: unknown[], vars: VarLookup): boolean {
  for (const c of conds) {
    let ok: boolean;
    try {
      ok = templar.condition(c, vars);
    } catch (err) {
      throw new ConditionFailure(c, err);
    }
    if (!ok) return false;
  }
  return true;
}

/** Templating a keyword failed where its name is not at hand to word the message: the caller words it. */
export class FieldTemplateError extends Error {
  constructor(readonly field: string, readonly error: unknown) {
    super((error as Error).message);
  }
}

/**
 * What failed: the task as a whole, one of its conditionals (`cond`), or the keyword being templated
 * (`field`).
 */
export type FailedPart =
  | { kind: "task" }
  | { kind: "conditional"; cond: unknown }
  | { kind: "field"; field: string };

/** The message a task fails with when `err` was raised while templating `part` of it. */
export function taskErrorMessage(
  err: unknown,
  task: Task,
  isUndefinedError: (err: unknown) => boolean,
  part: FailedPart = { kind: "task" },
): string {
  const e = err as Error;
  let msg: string;
  if (part.kind === "conditional") {
    msg = conditionalFailed(part.cond, e);
  } else if (part.kind === "field" && isUndefinedError(err)) {
    msg =
      `The field '${part.field}' has an invalid value, which includes an undefined variable. The error was: ${e.message}`;
  } else if (isUndefinedError(err)) {
    msg = `The task includes an option with an undefined variable. The error was: ${e.message}`;
  } else {
    // any other error (a template's syntax, a lookup's failure) reaches Ansible's task executor as it
    // is: no position
    return e.message;
  }
  if (task.pos) msg += `\n\n${positionDetails(task.pos, (f) => fs.readFileSync(f, "utf8"))}`;
  return msg;
}
