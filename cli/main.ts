// The `mito` command: subcommand dispatch, --help/--version, and exit codes.
import process from "node:process";
import { VERSION } from "./version.ts";
import { UsageError } from "./errors.ts";

export type Command = (argv: string[]) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

// Loaded lazily so `mito --version` does not pay for the playbook layer.
const COMMANDS: Record<string, CommandEntry> = {
  run: {
    summary: "run playbooks (the flags of ansible-playbook)",
    load: async () => (await import("./cmd_run.ts")).run,
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
  version: { summary: "print the version", load: () => Promise.resolve(versionCommand) },
};

export const USAGE = `mito ${VERSION} — a fast, single-binary replacement for ansible-playbook

usage: mito <command> [options]

commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join("\n")}

options:
  -h, --help     show this help (mito <command> --help for a command's options)
  --version      print the version
`;

function versionCommand(): Promise<number> {
  process.stdout.write(`mito ${VERSION}\n`);
  return Promise.resolve(0);
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(USAGE);
    return first === undefined ? 5 : 0;
  }
  if (first === "--version" || first === "-V") return versionCommand();
  const entry = COMMANDS[first];
  try {
    if (!entry) throw new UsageError(`unknown command '${first}'; see 'mito --help'`);
    return await (await entry.load())(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`mito: error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** Runs the CLI with this process's arguments and sets its exit code (no top-level await: the Node bundle is CJS). */
export function runCli(): Promise<void> {
  return main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (import.meta.main) void runCli();
