// Pure parsing of `mito run` arguments: the flag set of ansible-playbook, so existing command lines work.
import type { RunRequest } from "../playbook/run.ts";
import type { Slice } from "../playbook/slice.ts";
import { ArgumentError } from "./errors.ts";
import { type CommandSpec, type OptionGroup, parseCommand, type ParsedCommand } from "./_options.ts";
import {
  BECOME_GROUP,
  CHECK,
  commaList,
  CONNECTION_GROUP,
  DIFF,
  EXTRA_VARS,
  FORKS,
  INVENTORY,
  LIMIT,
  LIST_HOSTS,
  MODULE_PATH,
  NO_PROGRESS,
  PASSWORDS,
  sharedRequest,
  VAULT,
  VERBOSE,
  VERSION_OPTION,
} from "./_ansible_options.ts";

/** ansible-playbook's options: what the playbook layer runs, plus flags parsed for compatibility. */
export interface RunOptions extends RunRequest {
  askBecomePass: boolean;
  askPass: boolean;
  step: boolean;
  flushCache: boolean;
}

const PLAYBOOK_GROUP: OptionGroup = {
  options: [
    VERSION_OPTION,
    VERBOSE,
    INVENTORY,
    LIMIT,
    LIST_HOSTS,
    EXTRA_VARS,
    ...VAULT,
    FORKS,
    MODULE_PATH,
    ...PASSWORDS,
    CHECK,
    DIFF,
    {
      name: "tags",
      short: "t",
      metavar: "TAGS",
      multiple: true,
      help: "run only plays and tasks with these tags",
    },
    {
      name: "skip-tags",
      metavar: "SKIP_TAGS",
      multiple: true,
      help: "run only plays and tasks without these tags",
    },
    { name: "syntax-check", help: "check the playbooks' syntax and run nothing" },
    { name: "list-tasks", help: "print the tasks that would run and run nothing" },
    { name: "list-tags", help: "print every tag the playbooks use" },
    { name: "step", help: "ask before each task whether to run it" },
    { name: "start-at-task", metavar: "START_AT_TASK", help: "begin at the first task with this name" },
    { name: "force-handlers", help: "run notified handlers even when a task failed" },
    { name: "flush-cache", help: "forget the cached facts of every host in the inventory" },
    {
      name: "slice",
      metavar: "K/N",
      help:
        "mito: run on the K-th of N disjoint slices of the hosts (AWX's job slicing rule; also sliceKofN)",
    },
    {
      name: "output",
      metavar: "CALLBACK",
      help: "mito: the stdout callback (default, json, yaml, minimal, oneline, …), " +
        "instead of ANSIBLE_STDOUT_CALLBACK",
    },
    NO_PROGRESS,
  ],
};

/** `mito run`'s command line, under the name it was invoked as (mito run, ansible-playbook). */
export function runSpec(prog = "mito run"): CommandSpec {
  return {
    prog,
    positionals: "playbook [playbook ...]",
    positionalHelp: [["playbook", "the playbook file(s) to run"]],
    minPositionals: 1,
    requiredNames: "playbook",
    description: "Runs Ansible playbooks: the tasks they define, on the hosts they target.",
    groups: [PLAYBOOK_GROUP, CONNECTION_GROUP, BECOME_GROUP],
  };
}

/** The command line to RunOptions (--help and --version are the caller's: see cmd_run.ts). */
export function parseRunArgs(argv: string[], prog?: string): RunOptions {
  return runOptions(parseCommand(runSpec(prog), argv));
}

export function runOptions({ values: v, positionals }: ParsedCommand): RunOptions {
  const str = (x: unknown) => (x === undefined ? undefined : String(x));
  return {
    ...sharedRequest(v),
    playbooks: positionals,
    tags: commaList(v.tags),
    skipTags: commaList(v["skip-tags"]),
    startAtTask: str(v["start-at-task"]),
    step: v.step === true,
    syntaxCheck: v["syntax-check"] === true,
    listTasks: v["list-tasks"] === true,
    listTags: v["list-tags"] === true,
    flushCache: v["flush-cache"] === true,
    forceHandlers: v["force-handlers"] === true,
    output: str(v.output),
    ...(v.slice !== undefined ? { slice: parseSlice(String(v.slice)) } : {}),
  };
}

/** `--slice K/N` (or AWX's "sliceKofN") with 1 <= K <= N. */
export function parseSlice(text: string): Slice {
  const m = /^(?:(\d+)\/(\d+)|slice(\d+)of(\d+))$/.exec(text.trim());
  if (!m) throw new ArgumentError(`--slice expects K/N (such as 2/5), got '${text}'`);
  const index = Number(m[1] ?? m[3]);
  const count = Number(m[2] ?? m[4]);
  if (index < 1 || index > count) throw new ArgumentError(`--slice ${text}: K must be between 1 and N`);
  return { index, count };
}
