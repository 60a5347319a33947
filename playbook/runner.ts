// The seam to the remote side: the executor hands every non-controller action to a HostRunner.
// Issue 5 implements it over the protocol (one persistent context per host/user/become); until then
// `noConnectionRunner` fails each such task with a message that says so.
import type { CollectionIndex } from "./collections.ts";
import type { Delimiters } from "./template/mod.ts";

/**
 * An action raised (a Python action plugin's run(), or mito's own action where Ansible's raises a
 * non-Ansible exception): the task fails with `message` and `fields`, outside its result's
 * post-processing (no `changed`, no changed_when/failed_when), and in a loop the whole task fails.
 */
export class ActionRaised extends Error {
  override name = "ActionRaised";
  constructor(message: string, readonly fields: Record<string, unknown>) {
    super(message);
  }
}

/** Become settings of one task after inheritance and templating. */
export interface BecomeSpec {
  become: boolean;
  method: string;
  user: string;
  flags?: string;
  exe?: string;
  /** From ansible_become_password / ansible_become_pass / --ask-become-pass. */
  password?: string;
}

/** Everything the remote side needs to run one module once on one host. */
export interface ModuleRequest {
  /** inventory_hostname of the host the task is for. */
  host: string;
  /** The host actually contacted (delegate_to target), equal to host when not delegated. */
  targetHost: string;
  /**
   * The task's templated delegate_to, when it has one. Optional: without it a task delegated to its own
   * host looks undelegated (synchronize tells `delegate_to: "{{ inventory_hostname }}"` apart with it).
   */
  delegateTo?: string;
  /** Short module name ("copy") or collection name ("community.general.x"). */
  module: string;
  /** The module's name as the task wrote it ("ansible.builtin.copy"), where it differs from `module`. */
  moduleWritten?: string;
  /** Templated arguments; omitted options already removed. */
  args: Record<string, unknown>;
  checkMode: boolean;
  diff: boolean;
  noLog: boolean;
  become: BecomeSpec;
  /** Templated `environment:` of the task and its parents, merged (innermost wins). */
  environment: Record<string, string>;
  /**
   * The connection variables of the target, templated: ansible_connection, ansible_host, ansible_port,
   * ansible_user, ansible_ssh_private_key_file, ansible_python_interpreter, ansible_ssh_common_args,
   * mitogen_via, ansible_*_interpreter ... plus remote_user/port/connection/timeout keywords.
   */
  connectionVars: Record<string, unknown>;
  /**
   * Another inventory host's connection variables, templated on demand (mitogen_via intermediaries);
   * undefined for a name the inventory does not hold.
   */
  hostConnectionVars?: (inventoryHostname: string) => Record<string, unknown> | undefined;
  /** Directories to look for files/templates in (role files/, playbook files/), for copy/template/script. */
  searchPath: string[];
  /** async/poll keywords (0 = not async). */
  asyncSeconds: number;
  poll: number;
  /** Task timeout keyword in seconds (0 = none). */
  timeout: number;
  /** 0..n: -v count, so the remote side can add detail like Ansible's modules do. */
  verbosity: number;
  /**
   * The facts of the host whose facts the task's actions consult (the delegate's when delegated), as
   * `ansible_facts` holds them: package/service pick their module from pkg_mgr/service_mgr.
   */
  facts?: Record<string, unknown>;
  /**
   * module_defaults for another module than the task's, templated: what an action handing over to a
   * module (package to apt) fills in under the task's arguments, as Ansible's actions do.
   */
  moduleDefaults?: (module: string) => Record<string, unknown>;
  /**
   * The facts modules a gather_facts task runs, in order, when they are not just the setup module
   * (Ansible's FACTS_MODULES, `ansible_facts_modules`); their facts merge, the later ones winning.
   */
  factsModules?: string[];
  /** `library/` dirs beside the task's role and playbook, searched for modules before the installed ones. */
  libraryPaths?: string[];
  /**
   * Renders a template file with the task's variables (the template action's controller half), with
   * template_* vars set as Ansible does.
   */
  renderTemplate?: (path: string, opts: TemplateRenderOptions) => string;
  /** Progress of an `async` task polled by the runner (Ansible's ASYNC POLL / OK / FAILED lines). */
  onAsync?: (event: AsyncEvent) => void;
  /**
   * Task pipelining (docs/pipelining.md), for a module the runner calls `chainable`: `mark` names this
   * call for the calls sent after it; `after` makes it run only if the call so marked ended in a way
   * that lets the tasks after it run, else it runs nothing and answers a `cancelled` result.
   */
  chain?: { mark?: string; after?: string };
  /** A template task's file, found and rendered when the task was sent ahead (HostRunner.prepare). */
  rendered?: { ok: true; src: string; text: string };
}

/** The key of the result a pipelined call answers when the call it was sent after stopped the chain. */
export const CANCELLED = "_mito_cancelled";
/** Whether a result is that answer: the task did not run and is to be run the normal way. */
export const isCancelled = (r: ModuleResult): boolean => r[CANCELLED] === true;

/** The runner's key for warnings shown outside the result (bootstrap/runner.py DISPLAY_WARNINGS). */
export const DISPLAY_WARNINGS = "_mito_display_warnings";

/** The key of the answer of a module the runner killed when the task's timeout passed (its seconds). */
export const TIMED_OUT = "_mito_timed_out";

export interface AsyncEvent {
  kind: "poll" | "ok" | "failed";
  jid: string;
  started?: unknown;
  finished?: unknown;
}

/** The template module's rendering options. */
export interface TemplateRenderOptions {
  newlineSequence?: string;
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  delimiters?: Partial<Delimiters>;
}

/**
 * A module's result as Ansible shapes it: changed/failed/msg/rc/stdout..., `ansible_facts` to merge into
 * the host's facts, `unreachable: true` when the host could not be reached (the executor counts it as
 * unreachable, not failed).
 */
export type ModuleResult = Record<string, unknown>;

export interface HostRunner {
  runModule(req: ModuleRequest): Promise<ModuleResult>;
  /**
   * False when calls for one host must not overlap. Otherwise the executor may call runModule for the
   * next loop items before earlier ones answered, and relies on their effects landing in call order.
   */
  readonly pipelines?: boolean;
  /**
   * How many tasks of a host may be sent ahead of the one whose reply is awaited (0 or absent: none;
   * MITO_TASK_PIPELINE). Only tasks whose module the runner calls `chainable` are.
   */
  readonly taskPipeline?: number;
  /** Whether a task of `module` is one call on its target that honours ModuleRequest.chain. */
  chainable?(module: string): boolean;
  /**
   * Does the controller's part of a task about to be sent ahead now (a template is rendered, with the
   * variables it was sent with); false when the task is not to be sent ahead.
   */
  prepare?(req: ModuleRequest): boolean;
  /** `meta: reset_connection`: drop the host's context so the next task reconnects. */
  resetConnection(host: string, connectionVars: Record<string, unknown>): Promise<void>;
  /** Called once at the end of the run: close every connection. */
  close(): Promise<void>;
}

export interface HostRunnerOptions {
  forks: number;
  verbosity: number;
  /** The installed collections, as the loader found roles in them (modules of collections come from here). */
  collections?: CollectionIndex;
  /** The configured library path (ANSIBLE_LIBRARY), absolute. */
  libraryPaths?: string[];
  /**
   * module_utils folders, in Ansible's order (beside the playbooks, each loaded role's, then the configured
   * path): their files are served to targets as ansible.module_utils.<name>, before ansible-core's own.
   * Asked again as roles are loaded.
   */
  moduleUtilsDirs?: () => string[];
  /** Settings from ansible.cfg / ANSIBLE_* / CLI flags (remote_user, private_key_file, timeout...). */
  defaults: Record<string, unknown>;
  /** Shows a line of connection detail (-vvv: ssh command lines, hops opened, interpreters reused). */
  say?: (line: string) => void;
}

/** What the CLI passes to the executor to obtain the runner (so the executor never imports transports). */
export type HostRunnerFactory = (opts: HostRunnerOptions) => HostRunner;

/** The runner used until the protocol layer provides one: every remote module fails its host clearly. */
export const noConnectionRunner: HostRunnerFactory = () => ({
  runModule(req) {
    return Promise.resolve({
      failed: true,
      msg: `no connection layer for module ${req.module}: mito cannot run remote modules yet ` +
        `(only controller-side actions: debug, set_fact, assert, fail, meta, include_vars, add_host, group_by, pause, set_stats)`,
    });
  },
  resetConnection() {
    return Promise.resolve();
  },
  close() {
    return Promise.resolve();
  },
});
