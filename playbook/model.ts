// The loaded playbook: plays, blocks, tasks and roles as plain data with their source positions.
// Keyword values stay raw (templated at run time); only the structure is resolved at load time.
import type { Position } from "./errors.ts";

/** Keywords every level (play, role entry, block, task) accepts and children inherit. */
export const BASE_KEYWORDS = [
  "any_errors_fatal",
  "become",
  "become_exe",
  "become_flags",
  "become_method",
  "become_user",
  "check_mode",
  "collections",
  "connection",
  "debugger",
  "diff",
  "environment",
  "ignore_errors",
  "ignore_unreachable",
  "module_defaults",
  "name",
  "no_log",
  "port",
  "remote_user",
  "run_once",
  "tags",
  "throttle",
  "timeout",
  "vars",
] as const;

export const PLAY_KEYWORDS = new Set<string>([
  ...BASE_KEYWORDS,
  "fact_path",
  "force_handlers",
  "gather_facts",
  "gather_subset",
  "gather_timeout",
  "handlers",
  "hosts",
  "max_fail_percentage",
  "order",
  "post_tasks",
  "pre_tasks",
  "roles",
  "serial",
  "strategy",
  "tasks",
  "vars_files",
  "vars_prompt",
]);

export const BLOCK_KEYWORDS = new Set<string>([
  ...BASE_KEYWORDS,
  "always",
  "block",
  "delegate_facts",
  "delegate_to",
  "notify",
  "rescue",
  "when",
]);

export const TASK_KEYWORDS = new Set<string>([
  ...BASE_KEYWORDS,
  "action",
  "args",
  "async",
  "changed_when",
  "delay",
  "delegate_facts",
  "delegate_to",
  "failed_when",
  "local_action",
  "loop",
  "loop_control",
  "notify",
  "poll",
  "register",
  "retries",
  "until",
  "when",
]);

export const HANDLER_KEYWORDS = new Set<string>([...TASK_KEYWORDS, "listen"]);

export const ROLE_ENTRY_KEYWORDS = new Set<string>([
  ...BASE_KEYWORDS,
  "delegate_facts",
  "delegate_to",
  "role",
  "when",
]);

export const IMPORT_PLAYBOOK_KEYWORDS = new Set<string>([...BASE_KEYWORDS, "import_playbook", "when"]);

/** Keywords a child inherits from its enclosing block, role and play when it does not set them. */
export const INHERITED = [
  "any_errors_fatal",
  "become",
  "become_exe",
  "become_flags",
  "become_method",
  "become_user",
  "check_mode",
  "connection",
  "delegate_facts",
  "delegate_to",
  "diff",
  "ignore_errors",
  "ignore_unreachable",
  "module_defaults",
  "no_log",
  "notify",
  "port",
  "remote_user",
  "run_once",
  "throttle",
  "timeout",
] as const;

export type Keywords = Record<string, unknown>;

let uuidCounter = 0;
export function nextId(): number {
  return ++uuidCounter;
}

/** Something that holds keywords and sits inside a parent (block, role, play). */
export interface Scope {
  /** Keywords as written (when/tags/vars/environment/become...). */
  kw: Keywords;
  parent?: Scope;
  /** The role whose tasks these are, if any. */
  role?: RoleInstance;
  /** Variables passed by include_tasks/include_role (include params), above task vars. */
  includeParams?: Record<string, unknown>;
}

export interface Task extends Scope {
  kind: "task";
  id: number;
  /** Short module/action name after FQCN resolution: "debug", "command", "include_tasks". */
  action: string;
  /** The name as written in the task ("ansible.builtin.debug"), for messages and results. */
  actionWritten: string;
  args: Record<string, unknown>;
  pos?: Position;
  isHandler: boolean;
  /** Set when the task came from `local_action`. */
  localAction: boolean;
  /**
   * Set when the action was named under `action:` or `local_action:`: Ansible's parser then resolves no
   * action for the task, so module_defaults reach it only through a module's routed action plugin.
   */
  namedInActionKeyword?: boolean;
  /** with_<lookup>: the lookup name; loop terms are in kw.loop. */
  loopWith?: string;
  /** Set on the implicit flush_handlers tasks mito adds between sections: never shown. */
  implicit?: boolean;
  /** Where an include_role's role name was written: Ansible reports a missing role there. */
  namePos?: Position;
}

export interface Block extends Scope {
  kind: "block";
  id: number;
  block: Item[];
  rescue: Item[];
  always: Item[];
  pos?: Position;
  /** Blocks made by import_tasks/import_role/role sections: not user-written (no own keywords shown). */
  synthetic?: boolean;
  /** A role's own tasks: reaching its end completes the role for the host (Ansible's role_complete). */
  endsRole?: RoleInstance;
}

export type Item = Task | Block;

/** A block with a fresh id and empty sections, plus whatever the caller sets. */
export function makeBlock(init: Partial<Omit<Block, "kind" | "id">>): Block {
  return { kind: "block", id: nextId(), kw: {}, block: [], rescue: [], always: [], ...init };
}

/** One use of a role in a play: the role's files loaded, with its params. */
export interface RoleInstance {
  /** The role's name; for a role from a collection, without the collection (Ansible's role_name). */
  name: string;
  /** The collection (`ns.coll`) the role came from, if any. */
  collection?: string;
  /** The collection search list of the role's tasks and dependencies (its collection first). */
  collections?: string[];
  path: string;
  /** Role params (the entry's non-keyword keys, or `vars:` of include_role... as Ansible treats them). */
  params: Record<string, unknown>;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  /** Whether this role's vars/defaults are visible to the whole play (roles:, import_role, public). */
  public: boolean;
  /** Parent roles (for meta dependencies), innermost last. */
  dependencyOf?: RoleInstance;
  handlers: Item[];
  /** The role's name and params: roles with equal keys (and vars) are listed in the play once. */
  key: string;
  /**
   * Set for a role placed by `roles:` or as a dependency: its identity in the play (name, params and the
   * entry's when, tags, vars) and its allow_duplicates. A host that completed a role of that identity
   * skips its later placements; a role placed by include_role or import_role always runs.
   */
  dedup?: { key: string; allowDuplicates: boolean };
  /** An include_role's role loaded again with the same arguments: the earlier one, whose handlers it notifies. */
  handlersOf?: RoleInstance;
}

export interface VarsPrompt {
  name: string;
  prompt?: string;
  default?: unknown;
  private?: boolean;
  pos?: Position;
}

export interface Play extends Scope {
  kind: "play";
  id: number;
  name: string;
  hosts: unknown;
  pos?: Position;
  file: string;
  /** Directory the play's relative paths resolve against (the playbook's directory). */
  baseDir: string;
  vars: Record<string, unknown>;
  varsFiles: unknown[];
  varsPrompt: VarsPrompt[];
  /** The sections in run order: pre_tasks, roles+tasks, post_tasks, each ending with a handler flush. */
  sections: Item[][];
  handlers: Item[];
  roles: RoleInstance[];
}

export interface Playbook {
  file: string;
  /** The name as given on the command line, for messages. */
  shownAs?: string;
  plays: Play[];
}

/**
 * A task's name as Ansible shows it, from its own (templated) name, "" when it has none: prefixed with
 * its role's full name, else the action; include_role names itself (its name, else `include_role : <role>`).
 */
export function shownTaskName(task: Task, name: string): string {
  if (task.action === "include_role") {
    return name || `${task.actionWritten} : ${String(task.args.name ?? task.args.role ?? "")}`;
  }
  const own = name || task.actionWritten;
  return task.role ? `${roleFullName(task.role)} : ${own}` : own;
}

/** A role's name as Ansible shows it: with its collection (`ns.coll.role`) when it came from one. */
export function roleFullName(role: RoleInstance): string {
  return role.collection ? `${role.collection}.${role.name}` : role.name;
}
