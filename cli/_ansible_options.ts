// The option sets Ansible's commands share (connection, privilege escalation, inventory, vault, …),
// defined once for `mito run`, `mito adhoc` and the other commands that accept them.
import type { OptionDef, OptionGroup, OptionValue } from "./_options.ts";
import type { RunRequest } from "../playbook/run.ts";
import { ArgumentError } from "./errors.ts";

export const VERBOSE: OptionDef = {
  name: "verbose",
  short: "v",
  multiple: true,
  help: "print more details; repeat for more (-vvv shows connections and module arguments, " +
    "-vvvv the transport's own debugging)",
};

export const INVENTORY: OptionDef = {
  name: "inventory",
  short: "i",
  aliases: ["inventory-file"],
  metavar: "INVENTORY",
  multiple: true,
  help: "inventory file, directory or script, or a comma-separated host list ('web1,web2,'); repeatable",
};
export const LIMIT: OptionDef = {
  name: "limit",
  short: "l",
  metavar: "SUBSET",
  multiple: true,
  help: "restrict the selected hosts further to this pattern",
};
export const LIST_HOSTS: OptionDef = {
  name: "list-hosts",
  help: "print the hosts that would be targeted and run nothing",
};
export const EXTRA_VARS: OptionDef = {
  name: "extra-vars",
  short: "e",
  metavar: "EXTRA_VARS",
  multiple: true,
  help: "extra variables as key=value pairs or YAML/JSON text, or @FILE to read them from a file",
};
export const FORKS: OptionDef = {
  name: "forks",
  short: "f",
  metavar: "FORKS",
  help: "how many hosts run a task at the same time (default=5)",
};
export const MODULE_PATH: OptionDef = {
  name: "module-path",
  short: "M",
  metavar: "MODULE_PATH",
  multiple: true,
  help: "colon-separated directories searched for modules before the configured library paths",
};
export const NO_PROGRESS: OptionDef = {
  name: "no-progress",
  help: "mito: no live status line on a terminal and no slowest-tasks table at the end " +
    "(also MITO_NO_PROGRESS, CI or TERM=dumb)",
};
export const CHECK: OptionDef = {
  name: "check",
  short: "C",
  help: "change nothing; report what would change where the modules can predict it",
};
export const DIFF: OptionDef = {
  name: "diff",
  short: "D",
  help: "show the differences that file and template changes make; pairs well with --check",
};
export const VAULT: OptionDef[] = [
  { name: "vault-id", metavar: "VAULT_IDS", multiple: true, help: "a vault identity to use (label@source)" },
  {
    name: "ask-vault-password",
    short: "J",
    aliases: ["ask-vault-pass"],
    help: "ask for the vault password on the terminal",
  },
  {
    name: "vault-password-file",
    aliases: ["vault-pass-file"],
    metavar: "VAULT_PASSWORD_FILES",
    multiple: true,
    help: "a file holding the vault password (or an executable printing it)",
  },
];
export const VERSION_OPTION: OptionDef = {
  name: "version",
  help: "print the version, the configuration file in use and where this program runs from, then exit",
};

/** The password flags: among the general options, as in ansible-core's help. */
export const PASSWORDS: OptionDef[] = [
  { name: "ask-pass", short: "k", help: "ask for the connection password" },
  {
    name: "connection-password-file",
    aliases: ["conn-pass-file"],
    metavar: "CONNECTION_PASSWORD_FILE",
    help: "read the connection password from this file",
  },
  { name: "ask-become-pass", short: "K", help: "ask for the privilege escalation password" },
  {
    name: "become-password-file",
    aliases: ["become-pass-file"],
    metavar: "BECOME_PASSWORD_FILE",
    help: "read the privilege escalation password from this file",
  },
];

export const CONNECTION_GROUP: OptionGroup = {
  title: "Connection Options",
  description: "how to reach the hosts and as whom",
  options: [
    {
      name: "private-key",
      aliases: ["key-file"],
      metavar: "PRIVATE_KEY_FILE",
      help: "authenticate the connection with this key file",
    },
    { name: "user", short: "u", metavar: "REMOTE_USER", help: "log in as this user (default=None)" },
    {
      name: "connection",
      short: "c",
      metavar: "CONNECTION",
      help: "the connection type (ssh, local, docker, …; default=smart)",
    },
    {
      name: "timeout",
      short: "T",
      metavar: "TIMEOUT",
      help: "connection timeout in seconds (default=10)",
    },
    {
      name: "ssh-common-args",
      metavar: "SSH_COMMON_ARGS",
      help: "arguments added to every ssh, sftp and scp command line (e.g. ProxyCommand)",
    },
    {
      name: "sftp-extra-args",
      metavar: "SFTP_EXTRA_ARGS",
      help: "arguments added to sftp only (e.g. -f, -l)",
    },
    { name: "scp-extra-args", metavar: "SCP_EXTRA_ARGS", help: "arguments added to scp only (e.g. -l)" },
    { name: "ssh-extra-args", metavar: "SSH_EXTRA_ARGS", help: "arguments added to ssh only (e.g. -R)" },
  ],
};

export const BECOME_GROUP: OptionGroup = {
  title: "Privilege Escalation Options",
  description: "whether, how and as whom to become another user on the hosts",
  options: [
    { name: "become", short: "b", help: "run operations with become (asks for no password by itself)" },
    {
      name: "become-method",
      metavar: "BECOME_METHOD",
      help: "the privilege escalation method (default=sudo; also su, doas, …)",
    },
    { name: "become-user", metavar: "BECOME_USER", help: "become this user (default=root)" },
  ],
};

/** A whole-number option's value; argparse's wording for anything else. */
export function intOption(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^-?\d+$/.test(value.trim())) {
    throw new ArgumentError(`argument ${flag}: invalid int value: '${value}'`);
  }
  return Number(value);
}

/** Repeated string options as a list (absent is empty). */
export function listOption(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Comma-separated values given once or several times (`-t a,b -t c`). */
export function commaList(value: unknown): string[] {
  return listOption(value).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
}

/** The RunRequest fields every Ansible command's shared options fill, the same way for each. */
export type SharedRequest =
  & Omit<
    RunRequest,
    "playbooks" | "tags" | "skipTags" | "syntaxCheck" | "listTasks" | "listTags" | "forceHandlers"
  >
  & { askPass: boolean; askBecomePass: boolean };

export function sharedRequest(v: Record<string, OptionValue | undefined>): SharedRequest {
  const forks = intOption("-f/--forks", v.forks);
  if (forks !== undefined && forks < 1) {
    throw new ArgumentError("The number of processes (--forks) must be >= 1");
  }
  const str = (x: unknown) => (x === undefined ? undefined : String(x));
  return {
    inventory: listOption(v.inventory),
    limit: listOption(v.limit),
    extraVars: listOption(v["extra-vars"]),
    verbosity: Number(v.verbose ?? 0),
    forks,
    user: str(v.user),
    connection: str(v.connection),
    become: v.become === true,
    becomeMethod: str(v["become-method"]),
    becomeUser: str(v["become-user"]),
    askPass: v["ask-pass"] === true,
    askBecomePass: v["ask-become-pass"] === true,
    connectionPasswordFile: str(v["connection-password-file"]),
    becomePasswordFile: str(v["become-password-file"]),
    check: v.check === true,
    diff: v.diff === true,
    vaultPasswordFiles: listOption(v["vault-password-file"]),
    vaultIds: listOption(v["vault-id"]),
    askVaultPass: v["ask-vault-password"] === true,
    listHosts: v["list-hosts"] === true,
    privateKey: str(v["private-key"]),
    timeout: intOption("-T/--timeout", v.timeout),
    sshCommonArgs: str(v["ssh-common-args"]),
    sshExtraArgs: str(v["ssh-extra-args"]),
    modulePath: listOption(v["module-path"]).flatMap((p) => p.split(":")).filter(Boolean),
    noProgress: v["no-progress"] === true,
  };
}
