// The `mito` command: subcommand dispatch, --help/--version, and exit codes.
import process from "node:process";
import * as path from "node:path";
import { VERSION } from "./version.ts";
import { CommandError, UsageError } from "./errors.ts";
import { earlyLogins } from "../transports/ssh_early_login.ts";

/** A subcommand; `prog` is the name it answers to in help and errors ("mito run", "ansible-playbook"). */
export type Command = (argv: string[], prog: string) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
  /** It logs in to hosts: the login the same command line made first last time starts before loading. */
  logsIn?: boolean;
}

// Loaded lazily so `mito --version` does not pay for the playbook layer.
const COMMANDS: Record<string, CommandEntry> = {
  run: {
    summary: "run playbooks (the flags of ansible-playbook)",
    load: async () => (await import("./cmd_run.ts")).run,
    logsIn: true,
  },
  adhoc: {
    summary: "run one module on the hosts of a pattern (the flags of ansible)",
    load: async () => (await import("./cmd_adhoc.ts")).adhoc,
    logsIn: true,
  },
  inventory: {
    summary: "show the inventory (the flags of ansible-inventory)",
    load: async () => (await import("./cmd_inventory.ts")).inventory,
  },
  vault: {
    summary: "encrypt, decrypt and view vault files (like ansible-vault)",
    load: async () => (await import("./cmd_vault.ts")).vault,
  },
  stack: {
    summary: "show the connection hops mito would open for a host, as JSON",
    load: async () => (await import("./cmd_stack.ts")).stack,
  },
  doc: {
    summary: "list the modules mito can run, or show one's options (like ansible-doc)",
    load: async () => (await import("./cmd_doc.ts")).doc,
  },
  "install-links": {
    summary: "create links named ansible, ansible-playbook, … to this program in a directory",
    load: async () => (await import("./cmd_links.ts")).installLinks,
  },
  version: { summary: "print the version", load: () => Promise.resolve(versionCommand) },
};

/** Ansible's command names and the mito command each one is (see `mito install-links`). */
export const LINK_NAMES: Record<string, string> = {
  "ansible-playbook": "run",
  ansible: "adhoc",
  "ansible-vault": "vault",
  "ansible-inventory": "inventory",
  "ansible-doc": "doc",
};

export const USAGE = `mito ${VERSION} — a fast, single-binary replacement for ansible-playbook

usage: mito <command> [options]

commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`).join("\n")}

options:
  -h, --help     show this help (mito <command> --help for a command's options)
  --version      print the version
`;

function versionCommand(): Promise<number> {
  process.stdout.write(`mito ${VERSION}\n`);
  return Promise.resolve(0);
}

/** Runs one command under the name it was invoked as: a link named ansible-playbook is `mito run`. */
export async function mainAs(invokedAs: string, argv: string[]): Promise<number> {
  const command = LINK_NAMES[invokedAs];
  if (command === undefined) return main(argv);
  return await runCommand(command, argv, invokedAs);
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(USAGE);
    return first === undefined ? 5 : 0;
  }
  if (first === "--version" || first === "-V") return versionCommand();
  if (!COMMANDS[first]) {
    process.stderr.write(`mito: error: unknown command '${first}'; see 'mito --help'\n`);
    return 2;
  }
  return await runCommand(first, rest, `mito ${first}`);
}

// A refused command line is one line on stderr, "PROG: error: ..." (or "ERROR! ..." for what the command
// refuses after parsing), and the exit code Ansible gives it.
async function runCommand(name: string, argv: string[], prog: string): Promise<number> {
  if (COMMANDS[name].logsIn) earlyLogins.start({ command: name, argv, env: process.env });
  try {
    return await (await COMMANDS[name].load())(argv, prog);
  } catch (err) {
    if (err instanceof CommandError) {
      process.stderr.write(`ERROR! ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${prog}: error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/**
 * The name this program was started as, when it is one of Ansible's commands: argv[0] of a single
 * executable reached through a link, or the script path when run from source (`deno run ansible.ts`).
 */
export function invokedAs(argv0: string, script: string | undefined): string | undefined {
  const base = (p: string) => path.basename(p).replace(/\.(ts|js|mjs|cjs)$/, "");
  return [argv0, script ?? ""].map(base).find((n) => n in LINK_NAMES);
}

/** Runs the CLI with this process's arguments and sets its exit code (no top-level await: the Node bundle is CJS). */
export function runCli(): Promise<void> {
  const as = invokedAs(process.argv0, process.argv[1]);
  const argv = process.argv.slice(2);
  return (as ? mainAs(as, argv) : main(argv)).then((code) => {
    process.exitCode = code;
  });
}

if (import.meta.main) void runCli();
