// The state of one play batch and of each host in it, shared by the executor's parts while it runs.
import type { Item, Task } from "../model.ts";
import type { LayeredVars } from "../vars.ts";
import type { Result } from "../actions.ts";
import type { Strategy } from "../strategy.ts";
import type { PlayVars } from "./host_vars.ts";
import type { HostPipeline } from "./_pipeline.ts";
import type { RoleRuns } from "./_role_runs.ts";
import type { RoleInstance } from "../model.ts";

/** A task failed on a host: unwinds to the nearest block with a rescue. */
export class HostFailed extends Error {}
/** The host stops for this play (end_host, end_play, unreachable, a fatal failure elsewhere). */
export class HostStopped extends Error {}

export interface HostPlay {
  name: string;
  failed: boolean;
  unreachable: boolean;
  stopped: boolean;
  notified: Set<Task>;
  /** Outcome of the host's last task: set by the task's work, read by the host coroutine. */
  outcome: "ok" | "failed" | "unreachable" | "skipped" | "stop";
  /** Inside a block with a rescue: a failure here counts as rescued, not failed. */
  rescuable: number;
  /**
   * Inside a block whose rescue or always runs next when the task fails: such a host does not count as
   * failed for any_errors_fatal (Ansible's iterator is not failed in those states).
   */
  caught: number;
  /** Hosts removed from the play by meta end_host. */
  ended: boolean;
  /**
   * How many times meta clear_host_errors ran in the play: a failure waiting for its block's always to
   * end is forgotten when this changes meanwhile, and the host goes on after the block.
   */
  cleared: number;
  /** Its tasks sent ahead (docs/pipelining.md); absent where the play sends none. */
  pipeline?: HostPipeline;
}

export interface PlayRun extends PlayVars {
  /** The batch's hosts that failed in an earlier play: they sit it out. */
  away: string[];
  cleared: Set<string>;
  /** The play's host pattern, templated: refresh_inventory selects the play's hosts again with it. */
  pattern: string;
  hosts: Map<string, HostPlay>;
  strategy: Strategy;
  strategyName: string;
  handlerTasks: Task[];
  includeCache: Map<string, Item[]>;
  endPlay: boolean;
  bannered: Set<number>;
  /**
   * "included: file for hosts" lines of the current round, printed together when it ends, in order
   * with the includes that failed to load.
   */
  pendingIncludes: {
    file: string;
    host: string;
    item: unknown;
    hasItem: boolean;
    failure?: IncludeFailure;
  }[];
  /**
   * The hosts of the lockstep round now running each task, in batch order: run_once runs on the first
   * of them, as Ansible's linear strategy picks the first host whose next task it is.
   */
  roundHosts: Map<number, string[]>;
  /** run_once results waiting to be shared with the batch when the round ends. */
  runOnce: Map<number, { host: string; result: Result; registered: unknown }>;
  /** Meta tasks that act once per round and already did in this round. */
  metaRan: Set<number>;
  /** any_errors_fatal or max_fail_percentage ended the play: the whole run stops. */
  fatal: boolean;
  /** Roles each host completed, so later placements of them are skipped there. */
  roleRuns: RoleRuns;
  /**
   * The roles (and their dependencies) the first include_role of each name, arguments and variables
   * loaded: a later include of the same is Ansible's cached role, whose handlers are those of the first.
   */
  includedRoles: Map<string, RoleInstance[]>;
}

/** One task on one host, with the variables it sees there. */
export interface TaskAt {
  pr: PlayRun;
  hp: HostPlay;
  task: Task;
  vars: LayeredVars;
}

/** What an include task adds to its host's run: the loaded items, run right after it. */
export interface Included {
  items: Item[];
  /** The file or role could not be loaded: the host fails once the other loads' items ran. */
  failed?: boolean;
}

/**
 * Why an include could not load, as Ansible's strategy reports it: a missing role is an error on the
 * screen, a missing tasks file a failed result with a `reason`.
 */
export type IncludeFailure = { error: string } | { reason: string };
