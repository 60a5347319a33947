// Pure parsing of `mito adhoc` (ansible's command line): the pattern, -m/-a, and the shared options, to
// the one-task play ansible would build and the RunRequest that runs it.
import type { RunRequest } from "../playbook/run.ts";
import { type CommandSpec, parseCommand, type ParsedCommand } from "./_options.ts";
import {
  BECOME_GROUP,
  CHECK,
  CONNECTION_GROUP,
  DIFF,
  EXTRA_VARS,
  FORKS,
  intOption,
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
import { ArgumentError } from "./errors.ts";

export function adhocSpec(prog = "mito adhoc"): CommandSpec {
  return {
    prog,
    positionals: "pattern",
    positionalHelp: [["pattern", "the hosts to run on (a host pattern: web, 'db:!db3', all, …)"]],
    minPositionals: 1,
    requiredNames: "pattern",
    description: "Runs one task (one module with its arguments) on the hosts a pattern selects.",
    groups: [
      {
        options: [
          VERSION_OPTION,
          VERBOSE,
          INVENTORY,
          LIMIT,
          LIST_HOSTS,
          {
            name: "poll",
            short: "P",
            metavar: "POLL_INTERVAL",
            help: "with -B: check every so many seconds (default=15)",
          },
          {
            name: "background",
            short: "B",
            metavar: "SECONDS",
            help: "run in the background, failing after that many seconds (default=N/A)",
          },
          { name: "one-line", short: "o", help: "one line of output per host" },
          {
            name: "tree",
            short: "t",
            metavar: "TREE",
            help: "also write each host's result to a file in this directory",
          },
          ...PASSWORDS,
          CHECK,
          DIFF,
          NO_PROGRESS,
          EXTRA_VARS,
          ...VAULT,
          FORKS,
          MODULE_PATH,
          {
            name: "playbook-dir",
            metavar: "BASEDIR",
            help:
              "the directory to treat as the playbook's: where roles/, group_vars/ and relative paths are found",
          },
          {
            name: "task-timeout",
            metavar: "TASK_TIMEOUT",
            help: "stop the task after this many seconds (a positive whole number)",
          },
          {
            name: "args",
            short: "a",
            metavar: "MODULE_ARGS",
            help: "the module's arguments, as k=v words (-a 'opt1=val1 opt2=val2') or as JSON " +
              '(-a \'{"opt1": "val1"}\'); free text for command and shell',
          },
          {
            name: "module-name",
            short: "m",
            metavar: "MODULE_NAME",
            help: "the module (or action) to run (default=command)",
          },
        ],
      },
      BECOME_GROUP,
      CONNECTION_GROUP,
    ],
    epilog: "Actions that only make sense inside a playbook (include_tasks, meta, …) do not work here.",
  };
}

/** Ansible's MODULE_REQUIRE_ARGS: modules that mean nothing without arguments. */
const REQUIRE_ARGS =
  /^(ansible\.(builtin|legacy|windows)\.)?(command|win_command|shell|win_shell|raw|script)$/;
const IMPORT_PLAYBOOK = /^(ansible\.(builtin|legacy)\.)?import_playbook$/;
const INCLUDES = /^(ansible\.(builtin|legacy)\.)?(include_role|include_tasks)$/;

/** A command line ansible refuses after parsing it (AnsibleOptionsError: "ERROR! …", exit 5). */
export class AdhocOptionsError extends Error {
  override name = "AdhocOptionsError";
  readonly exitCode = 5;
}

/** The -a text as the task's arguments: JSON when it is a JSON object, else the k=v/free-form string. */
function moduleArgs(raw: string): unknown {
  const text = raw.trim();
  if (text.startsWith("{") && text.endsWith("}")) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && Object.keys(parsed).length) return parsed;
    } catch {
      // not JSON: k=v words after all, as ansible falls back
    }
  }
  return raw;
}

export interface AdhocCommand {
  request: RunRequest & { askPass: boolean; askBecomePass: boolean };
  module: string;
  args: string;
}

export function adhocRequest({ values: v, positionals }: ParsedCommand): AdhocCommand {
  if (positionals.length > 1) {
    throw new ArgumentError(`unrecognized arguments: ${positionals.slice(1).join(" ")}`);
  }
  const pattern = positionals[0];
  const module = String(v["module-name"] ?? "command");
  const args = String(v.args ?? "");
  const forks = intOption("-f/--forks", v.forks);
  if (forks !== undefined && forks < 1) {
    throw new ArgumentError("The number of processes (--forks) must be >= 1");
  }
  const background = intOption("-B/--background", v.background) ?? 0;
  const poll = intOption("-P/--poll", v.poll) ?? 15;
  const timeout = intOption("--task-timeout", v["task-timeout"]) ?? 0;
  // Named under action:, as ansible builds it: an unknown module then fails each host when it runs.
  const parsedArgs = args === "" ? {} : moduleArgs(args);
  const task: Record<string, unknown> = {
    action: typeof parsedArgs === "string" ? `${module} ${parsedArgs}` : { module, ...parsedArgs as object },
  };
  // ansible sets the task's timeout to 0 (none) unless asked; 0 is left out here, as meaning the same.
  if (timeout > 0) task.timeout = timeout;
  if (!INCLUDES.test(module) && background) Object.assign(task, { async: background, poll });
  const str = (x: unknown) => (x === undefined ? undefined : String(x));
  return {
    module,
    args,
    request: {
      ...sharedRequest(v),
      playbooks: [],
      adhoc: {
        play: { name: "Ansible Ad-Hoc", hosts: pattern, gather_facts: "no", tasks: [task] },
        playbookDir: str(v["playbook-dir"]) ?? ".",
        oneLine: v["one-line"] === true,
        tree: str(v.tree),
      },
      tags: [],
      skipTags: [],
      syntaxCheck: false,
      listTasks: false,
      listTags: false,
      forceHandlers: false,
    },
  };
}

/** The checks ansible makes once the hosts are known: a command needs its arguments, no playbooks inside. */
export function checkAdhocModule(cmd: AdhocCommand, pattern: string): void {
  if (REQUIRE_ARGS.test(cmd.module) && cmd.args === "") {
    const hint = pattern.endsWith(".yml") ? " (did you mean to run ansible-playbook?)" : "";
    throw new AdhocOptionsError(`No argument passed to ${cmd.module} module${hint}`);
  }
  if (IMPORT_PLAYBOOK.test(cmd.module)) {
    throw new AdhocOptionsError(`'${cmd.module}' is not a valid action for ad-hoc commands`);
  }
}

export function parseAdhocArgs(argv: string[], prog?: string): AdhocCommand {
  return adhocRequest(parseCommand(adhocSpec(prog), argv));
}
