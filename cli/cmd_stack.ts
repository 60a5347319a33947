// `mito stack HOST`: the connection stack mito would open for HOST, as JSON in the shape of Mitogen's
// `mitogen_get_stack` result, without connecting; passwords masked.
import { parseArgs } from "node:util";
import * as fs from "node:fs";
import * as os from "node:os";
import process from "node:process";
import { UsageError } from "./errors.ts";
import { parseArgsError } from "./_options.ts";
import { configuredOptions, Inventory } from "../playbook/inventory/mod.ts";
import { VaultSecrets } from "../playbook/vault/mod.ts";
import { type Config, loadConfig } from "../playbook/config/mod.ts";
import { loadYamlFile, parseYaml } from "../playbook/yaml/mod.ts";
import { parseExtraVars } from "../playbook/extra_vars.ts";
import { Templar } from "../playbook/template/mod.ts";
import { stderrWarnings } from "../playbook/callbacks/display.ts";
import {
  buildStack,
  describeStack,
  type StackConfig,
  type StackKeywords,
} from "../playbook/connection/mod.ts";

const USAGE = `usage: mito stack HOST [-i INVENTORY] [options]

Prints the hops mito opens to reach HOST, as JSON, without connecting (passwords masked).

options:
  -i, --inventory SOURCE     inventory file, directory or 'host1,host2,' list (repeatable)
  -e, --extra-vars VARS      extra variables (k=v, JSON/YAML, @file)
  -c, --connection CONN      connection type (ssh, local, docker, …)
  -u, --user USER            remote user
  -b, --become               become another user on the target
  --become-user USER         the user to become (default root)
  --become-method METHOD     sudo, su or doas
  --delegate-to HOST         the stack of a task on HOST delegated to another host
  --show-passwords           print passwords instead of masking them
  --vault-password-file F, --vault-id ID
  -h, --help                   show this help and exit
`;

const SPEC = {
  inventory: { type: "string", short: "i", multiple: true },
  "extra-vars": { type: "string", short: "e", multiple: true },
  connection: { type: "string", short: "c" },
  user: { type: "string", short: "u" },
  become: { type: "boolean", short: "b" },
  "become-user": { type: "string" },
  "become-method": { type: "string" },
  "delegate-to": { type: "string" },
  "show-passwords": { type: "boolean" },
  "vault-password-file": { type: "string", multiple: true },
  "vault-id": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

export interface StackArgs {
  host: string;
  inventory: string[];
  extraVars: string[];
  keywords: StackKeywords;
  showPasswords: boolean;
  vaultPasswordFiles: string[];
  vaultIds: string[];
}

/** Pure: the command line to options; undefined means --help. */
export function parseStackArgs(argv: string[]): StackArgs | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  } catch (e) {
    throw parseArgsError(e);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length !== 1) throw new UsageError("mito stack needs exactly one HOST");
  const keywords: StackKeywords = {};
  if (values.connection) keywords.connection = values.connection;
  if (values.user) keywords.remote_user = values.user;
  if (values.become) keywords.become = true;
  if (values["become-user"]) keywords.become_user = values["become-user"];
  if (values["become-method"]) keywords.become_method = values["become-method"];
  if (values["delegate-to"]) keywords.delegate_to = values["delegate-to"];
  return {
    host: positionals[0],
    inventory: values.inventory ?? [],
    extraVars: values["extra-vars"] ?? [],
    keywords,
    showPasswords: Boolean(values["show-passwords"]),
    vaultPasswordFiles: values["vault-password-file"] ?? [],
    vaultIds: values["vault-id"] ?? [],
  };
}

/** The config settings the stack builder reads. */
export function stackConfig(cfg: Config): StackConfig {
  return {
    remoteUser: cfg.remoteUser,
    remotePort: cfg.remotePort,
    timeout: cfg.timeout,
    hostKeyChecking: cfg.hostKeyChecking,
    privateKeyFile: cfg.privateKeyFile,
    become: cfg.become,
    becomeMethod: cfg.becomeMethod,
    becomeUser: cfg.becomeUser,
    becomeExe: typeof cfg.becomeExe === "string" ? cfg.becomeExe : undefined,
    becomeFlags: typeof cfg.becomeFlags === "string" ? cfg.becomeFlags : undefined,
    sshArgs: cfg.sshArgs,
    sshCommonArgs: cfg.sshCommonArgs,
    sshExtraArgs: cfg.sshExtraArgs,
    sshExecutable: typeof cfg.sshExecutable === "string" ? cfg.sshExecutable : undefined,
    transport: cfg.transport,
    becomeAllowSameUser: cfg.becomeAllowSameUser,
  };
}

export async function stack(argv: string[]): Promise<number> {
  const args = parseStackArgs(argv);
  if (!args) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return await printStack(args);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof Error && e.name !== "TypeError" && e.name !== "ReferenceError") {
      process.stderr.write(`mito: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function printStack(args: StackArgs): Promise<number> {
  const env = process.env as Record<string, string | undefined>;
  const cfg = loadConfig({ env, cwd: process.cwd(), home: os.homedir() });
  const ids = [...cfg.vaultIdentityList, ...args.vaultIds];
  const vault = VaultSecrets.fromOptions({
    passwordFiles: args.vaultPasswordFiles.length || ids.length
      ? args.vaultPasswordFiles
      : cfg.vaultPasswordFiles,
    vaultIds: ids,
    askVaultPass: cfg.askVaultPass,
  });
  const sources = args.inventory.length ? args.inventory : cfg.inventory.filter((s) => fs.existsSync(s));
  const warn = stderrWarnings();
  const inv = Inventory.load(sources, { ...configuredOptions(cfg), vault, onWarning: warn });
  const extra = parseExtraVars(args.extraVars, {
    parseYaml: (text, source) => parseYaml(text, { file: source, vault }),
    loadYamlFile: (file) => loadYamlFile(file, { vault }),
  });
  const hosts = inv.selectHosts(args.host);
  if (hosts.length !== 1) throw new UsageError(`'${args.host}' must name exactly one inventory host`);
  const templar = new Templar({ warn, native: false });
  const lookup = (host: string) => {
    if (!inv.getHost(host)) {
      throw new UsageError(`mitogen_via or delegate_to names '${host}', which is not in the inventory`);
    }
    const all: Record<string, unknown> = {
      ...inv.hostVars(host),
      ...extra,
      inventory_hostname: host,
      inventory_hostname_short: host.split(".")[0],
    };
    const vars = { get: (n: string) => all[n] };
    return (name: string) => templar.template(all[name], vars);
  };
  const built = buildStack({
    host: hosts[0].name,
    vars: lookup,
    config: stackConfig(cfg),
    keywords: args.keywords,
  });
  await new Promise<void>((resolve) =>
    process.stdout.write(
      JSON.stringify(describeStack(built, { maskPasswords: !args.showPasswords }), null, 4) + "\n",
      () => resolve(),
    )
  );
  return 0;
}
