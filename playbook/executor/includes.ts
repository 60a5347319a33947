// include_tasks and include_role as a host reaches them: the file or role is loaded once per distinct
// file and parameters (hosts including the same share one copy), its handlers and public variables join
// the play, and the linear strategy learns the new tasks.
import * as path from "node:path";
import { type Position, RoleNotFoundError } from "../errors.ts";
import { positionOfItem } from "../yaml/mod.ts";
import type { Block, Item, RoleInstance, Task } from "../model.ts";
import { makeBlock } from "../model.ts";
import { keyJson } from "../values.ts";
import type { Result } from "../actions.ts";
import { LinearStrategy } from "../strategy.ts";
import { isTemplateText, oldIncludeVars, shortActionName } from "../task_args.ts";
import type { ExecutorOptions } from "./types.ts";
import type { Included, IncludeFailure, PlayRun, TaskAt } from "./_play_state.ts";
import { bool, flatten, isMap, removeOmit } from "./_util.ts";

/**
 * The handlers of the roles that an included file or role imported (import_role inside it) join the
 * play's, as Ansible's strategy adds every handler of what an include loaded. `known` are the play's roles
 * before the load; `skip` the ones the caller added already.
 */
function importedHandlers(pr: PlayRun, known: Set<RoleInstance>, skip: RoleInstance[]): void {
  for (const role of pr.play.roles) {
    if (known.has(role) || skip.includes(role)) continue;
    pr.handlerTasks.push(...flatten(role.handlers).filter((h) => !pr.handlerTasks.includes(h)));
  }
}

export type IncludesOptions = Pick<ExecutorOptions, "templar" | "omitToken" | "loader" | "deprecated">;

/**
 * Where Ansible points at a missing role: the name as written, or the loop item it came from when the
 * name is that item unchanged (`name: "{{ item }}"` over a written list); a name templated into a new
 * string has no place.
 */
function roleNamePos(task: Task, item?: { value: unknown; index: number }): Position | undefined {
  const raw = task.args.name ?? task.args.role;
  if (typeof raw === "string" && !isTemplateText(raw)) return task.namePos;
  const loop = task.kw.loop;
  if (!item || task.loopWith || !Array.isArray(loop) || loop[item.index] !== item.value) return undefined;
  return positionOfItem(loop, item.index);
}

export class Includes {
  #o: IncludesOptions;

  constructor(opts: IncludesOptions) {
    this.#o = opts;
  }

  /**
   * An include task has a result, whatever it is (skipped too): the old include, run as include_tasks,
   * is deprecated again there, as Ansible's strategy says it for every include result it processes.
   */
  resulted(task: Task): void {
    if (shortActionName(task.actionWritten) !== "include") return;
    this.#o.deprecated?.(
      '"include" is deprecated, use include_tasks/import_tasks/import_playbook instead',
      "2.16",
    );
  }

  /**
   * The items an include task's result adds to its host's run: one set per loop item that was not
   * skipped (`itemLayers` holds each item's loop variables), or one for the task without a loop.
   */
  load(at: TaskAt, result: Result, itemLayers: Record<string, unknown>[] | undefined): Included[] {
    const { pr, hp, task, vars } = at;
    const t = this.#o.templar;
    const old = shortActionName(task.actionWritten) === "include";
    this.resulted(task);
    const runs = itemLayers
      ? (result.results as Result[]).map((r, i) => ({ r, layer: itemLayers[i], index: i }))
        .filter((x) => !x.r.skipped)
      : [{ r: result, layer: undefined as Record<string, unknown> | undefined, index: 0 }];
    const out: Included[] = [];
    for (const { r, layer, index } of runs) {
      // what Ansible's "included: …" line names: the item's label (loop_control.label) when it has one
      const item = !layer
        ? undefined
        : "_ansible_item_label" in r
        ? r._ansible_item_label
        : layer[String(layer.ansible_loop_var)];
      const fail = (failure: IncludeFailure) => {
        pr.pendingIncludes.push({ file: "", host: hp.name, item, hasItem: layer !== undefined, failure });
        out.push({ items: [], failed: true });
      };
      const v = layer ? vars.with(layer) : vars;
      const args = removeOmit(t.template(task.args, v), this.#o.omitToken) as Record<string, unknown>;
      const params: Record<string, unknown> = {
        ...(isMap(task.kw.vars) ? t.template(task.kw.vars, v) as Record<string, unknown> : {}),
      };
      // the include's own vars, without its loop item's, and whether it loops (Ansible's looped include
      // is a task copy, whose role is another than the plain include's): what identifies a role it
      // loads again
      const taskVars = { ...params };
      const ownVars = `${layer ? "loop" : ""}\0${keyJson(taskVars)}`;
      // a looped include's tasks see its item's label too, as Ansible's included file carries it
      if (layer) Object.assign(params, layer, { _ansible_item_label: r._ansible_item_label });
      const apply = isMap(args.apply) ? args.apply : {};
      let key: string;
      let load: () => Item[];
      if (task.action === "include_tasks") {
        const name = String(args.file ?? args._raw_params ?? "");
        const file = this.#o.loader.resolveInclude(
          name,
          String(task.args.__dir ?? pr.play.baseDir),
          task.role,
          pr.play,
        );
        if (!file) {
          // the host fails with the path Ansible tried last: beside the play, or in the role's tasks/
          const tried = task.role
            ? path.join(task.role.path, "tasks", name)
            : path.resolve(pr.play.baseDir, name);
          fail({ reason: `Could not find or access '${tried}' on the Ansible Controller.` });
          continue;
        }
        key = `${task.id}\0${file}\0${keyJson(params)}`;
        load = () => {
          const block: Block = makeBlock({
            // the old include's parameters, as written, are vars of its block (Ansible's TaskInclude vars)
            kw: { ...apply, ...(old ? { vars: oldIncludeVars(task.args) } : {}) },
            parent: task.parent,
            role: task.role,
            includeParams: params,
            synthetic: true,
          });
          const known = new Set(pr.play.roles);
          block.block = this.#o.loader.loadTasksFile(file, block, task.role, pr.play, task.isHandler);
          importedHandlers(pr, known, []);
          return [block];
        };
      } else {
        const name = String(args.name ?? args.role ?? "");
        key = `${task.id}\0role:${name}\0${keyJson(args)}\0${keyJson(params)}`;
        load = () => {
          const pub = args.public !== undefined && bool(args.public);
          const known = new Set(pr.play.roles);
          const r = this.#o.loader.includeRole(
            name,
            pr.play,
            task.role,
            task.pos ?? task,
            task.pos?.file ?? pr.play.file,
            {
              tasksFrom: args.tasks_from as string | undefined,
              varsFrom: args.vars_from as string | undefined,
              defaultsFrom: args.defaults_from as string | undefined,
              handlersFrom: args.handlers_from as string | undefined,
              public: pub,
              task,
            },
          );
          if (pub) pr.publicRoles.push(...r.all.filter((x) => !pr.publicRoles.includes(x)));
          // the include's vars are its role's (Ansible's RoleInclude vars): its handlers see them too
          Object.assign(r.role.params, taskVars);
          const identity = `${name}\0${keyJson(args)}\0${ownVars}`;
          const first = pr.includedRoles.get(identity);
          if (!first) pr.includedRoles.set(identity, r.all);
          for (const [i, rr] of r.all.entries()) {
            if (!pr.play.roles.includes(rr)) pr.play.roles.push(rr);
            // Ansible loads the same role object again: its handlers are already the play's, once
            const earlier = first?.[i];
            if (earlier && earlier.path === rr.path) {
              rr.handlersOf = earlier.handlersOf ?? earlier;
              continue;
            }
            const hs = flatten(rr.handlers).filter((h) => !pr.handlerTasks.includes(h));
            pr.handlerTasks.push(...hs);
          }
          importedHandlers(pr, known, r.all);
          const block: Block = makeBlock({
            kw: { ...apply },
            parent: task.parent,
            includeParams: params,
            block: r.tasks,
            synthetic: true,
          });
          for (const it of r.tasks) it.parent = block;
          return [block];
        };
      }
      let items = pr.includeCache.get(key);
      if (!items) {
        try {
          items = load();
        } catch (err) {
          // a missing role fails the host, not the run (other errors in a role still stop it)
          if (!(task.action === "include_role" && err instanceof RoleNotFoundError)) throw err;
          const where = roleNamePos(task, layer !== undefined ? { value: item, index } : undefined);
          fail({ error: new RoleNotFoundError(err.detail, where).message });
          continue;
        }
        pr.includeCache.set(key, items);
        if (pr.strategy instanceof LinearStrategy) pr.strategy.insertNext(flatten(items));
      }
      if (task.action === "include_tasks") {
        const file = this.#o.loader.resolveInclude(
          String(args.file ?? args._raw_params ?? ""),
          String(task.args.__dir ?? pr.play.baseDir),
          task.role,
          pr.play,
        );
        if (file) {
          pr.pendingIncludes.push({
            file,
            host: hp.name,
            item,
            hasItem: layer !== undefined,
          });
        }
      }
      out.push({ items });
    }
    return out;
  }
}
