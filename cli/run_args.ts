// Pure parsing of `mito run` arguments: the flag set of ansible-playbook, so existing command lines work.
import { parseArgs } from "node:util";
import { ArgumentError } from "./errors.ts";
import type { RunRequest } from "../playbook/run.ts";
import type { Slice } from "../playbook/slice.ts";

/** ansible-playbook's options: what the playbook layer runs, plus flags parsed for compatibility. */
export interface RunOptions extends RunRequest {
  askBecomePass: boolean;
  askPass: boolean;
  step: boolean;
  flushCache: boolean;
  moduleSearchPath: string[];
  sshCommonArgs?: string;
  sshExtraArgs?: string;
}

const SPEC = {
  inventory: { type: "string", short: "i", multiple: true },
  limit: { type: "string", short: "l", multiple: true },
  "extra-vars": { type: "string", short: "e", multiple: true },
  tags: { type: "string", short: "t", multiple: true },
  "skip-tags": { type: "string", multiple: true },
  verbose: { type: "boolean", short: "v", multiple: true },
  forks: { type: "string", short: "f" },
  user: { type: "string", short: "u" },
  "remote-user": { type: "string" },
  connection: { type: "string", short: "c" },
  become: { type: "boolean", short: "b" },
  "become-method": { type: "string" },
  "become-user": { type: "string" },
  "ask-become-pass": { type: "boolean", short: "K" },
  "ask-pass": { type: "boolean", short: "k" },
  check: { type: "boolean", short: "C" },
  diff: { type: "boolean", short: "D" },
  "vault-password-file": { type: "string", multiple: true },
  "vault-pass-file": { type: "string", multiple: true },
  "vault-id": { type: "string", multiple: true },
  "ask-vault-pass": { type: "boolean", short: "J" },
  "start-at-task": { type: "string" },
  step: { type: "boolean" },
  "syntax-check": { type: "boolean" },
  "list-hosts": { type: "boolean" },
  "list-tasks": { type: "boolean" },
  "list-tags": { type: "boolean" },
  "flush-cache": { type: "boolean" },
  "force-handlers": { type: "boolean" },
  "private-key": { type: "string" },
  key: { type: "string" },
  timeout: { type: "string", short: "T" },
  "module-path": { type: "string", short: "M", multiple: true },
  output: { type: "string" },
  slice: { type: "string" },
  "ssh-common-args": { type: "string" },
  "ssh-extra-args": { type: "string" },
} as const;

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new ArgumentError(`--${name} expects a whole number, got '${value}'`);
  return Number(value);
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

// -vvv arrives from parseArgs as three booleans; count them.
export function parseRunArgs(argv: string[]): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ArgumentError((err as Error).message);
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new ArgumentError("mito run: give at least one playbook file");
  if (v.forks !== undefined && intOption("forks", v.forks)! < 1) {
    throw new ArgumentError("The number of processes (--forks) must be >= 1");
  }
  const list = (x: readonly string[] | undefined) => [...(x ?? [])];
  return {
    playbooks: parsed.positionals,
    inventory: list(v.inventory),
    limit: list(v.limit),
    extraVars: list(v["extra-vars"]),
    tags: list(v.tags).flatMap((t) => t.split(",")).filter(Boolean),
    skipTags: list(v["skip-tags"]).flatMap((t) => t.split(",")).filter(Boolean),
    verbosity: v.verbose?.length ?? 0,
    forks: intOption("forks", v.forks),
    user: v.user ?? v["remote-user"],
    connection: v.connection,
    become: v.become ?? false,
    becomeMethod: v["become-method"],
    becomeUser: v["become-user"],
    askBecomePass: v["ask-become-pass"] ?? false,
    askPass: v["ask-pass"] ?? false,
    check: v.check ?? false,
    diff: v.diff ?? false,
    vaultPasswordFiles: [...list(v["vault-password-file"]), ...list(v["vault-pass-file"])],
    vaultIds: list(v["vault-id"]),
    askVaultPass: v["ask-vault-pass"] ?? false,
    startAtTask: v["start-at-task"],
    step: v.step ?? false,
    syntaxCheck: v["syntax-check"] ?? false,
    listHosts: v["list-hosts"] ?? false,
    listTasks: v["list-tasks"] ?? false,
    listTags: v["list-tags"] ?? false,
    flushCache: v["flush-cache"] ?? false,
    forceHandlers: v["force-handlers"] ?? false,
    privateKey: v["private-key"] ?? v.key,
    timeout: intOption("timeout", v.timeout),
    moduleSearchPath: list(v["module-path"]),
    output: v.output,
    ...(v.slice !== undefined ? { slice: parseSlice(v.slice) } : {}),
    sshCommonArgs: v["ssh-common-args"],
    sshExtraArgs: v["ssh-extra-args"],
  };
}
