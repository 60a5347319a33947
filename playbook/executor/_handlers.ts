// Which handlers a task's `notify` names: by name (a role's own handler first), as `role : name`, or
// through their `listen` topics.
import { ExecutionError } from "../errors.ts";
import type { Task } from "../model.ts";
import { roleFullName } from "../model.ts";
import { tagList } from "../tags.ts";

/**
 * The handlers each name notifies; a name no handler answers to stops the run, or is given to `missing`
 * (error_on_missing_handler = false: Ansible warns and goes on).
 */
export function notifiedHandlers(
  names: string[],
  task: Task,
  handlerTasks: Task[],
  missing?: (msg: string) => void,
  /** A handler's name as notify matches it (templated); undefined when it has none or cannot be had. */
  nameOf: (h: Task) => string | undefined = (h) => (h.kw.name !== undefined ? String(h.kw.name) : undefined),
): Task[] {
  const out: Task[] = [];
  for (const name of names) {
    let found = false;
    const matches = (h: Task) => {
      const n = nameOf(h);
      return n !== undefined &&
        (name === n ||
          (h.role !== undefined &&
            (name === `${h.role.name} : ${n}` || name === `${roleFullName(h.role)} : ${n}`)));
    };
    // A task in a role notifies its own role's handler first (the same role may be in the play twice).
    const role = task.role?.handlersOf ?? task.role;
    const own = role ? handlerTasks.find((h) => h.role === role && matches(h)) : undefined;
    const target = own ?? handlerTasks.find(matches);
    if (target) {
      out.push(target);
      found = true;
    }
    for (const h of handlerTasks) {
      if (tagList(h.kw.listen).includes(name)) {
        out.push(h);
        found = true;
      }
    }
    if (!found) {
      const msg =
        `The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`;
      if (!missing) throw new ExecutionError(msg);
      missing(msg);
    }
  }
  return out;
}
