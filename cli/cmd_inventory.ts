// `mito inventory --list | --graph [group] | --host H`: ansible-inventory's views of an inventory,
// printed the way ansible-inventory prints them.
import { parseArgs } from "node:util";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { CommandError, UsageError } from "./errors.ts";
import { parseArgsError } from "./_options.ts";
import {
  configuredOptions,
  type Group,
  Inventory,
  InventoryError,
  PatternError,
} from "../playbook/inventory/mod.ts";
import { pyJsonDump, pyStr, pyYamlDump } from "../playbook/inventory/_dump.ts";
import { pyStrCompare } from "../playbook/py/str_order.ts";
import { VaultError, VaultSecrets } from "../playbook/vault/mod.ts";
import { stderrWarnings } from "../playbook/callbacks/display.ts";
import { ConfigError, loadConfig } from "../playbook/config/mod.ts";
import { loadYamlFile, parseYaml, YamlError } from "../playbook/yaml/mod.ts";
import { parseExtraVars } from "../playbook/extra_vars.ts";
import { PlaybookError } from "../playbook/errors.ts";
import { Templar } from "../playbook/template/mod.ts";
import { controllerPython } from "../playbook/plugins/mod.ts";

const USAGE = `usage: mito inventory [-i INVENTORY] (--list | --graph [GROUP] | --host HOST) [options]

options:
  -i, --inventory SOURCE       inventory file, directory or 'host1,host2,' list (repeatable)
  --list                       all groups and host variables as JSON
  --graph [GROUP]              the group tree from GROUP (default all)
  --host HOST                  one host's variables
  --vars                       with --graph: show variables
  -y, --yaml                   YAML instead of JSON
  --export                     group variables under groups instead of merged into hosts
  --playbook-dir DIR           also read group_vars/ and host_vars/ beside DIR
  -e, --extra-vars VARS        extra variables shown over host variables (k=v, JSON/YAML, @file)
  --output FILE                write to FILE
  -l, --limit SUBSET           (accepted for compatibility with --list)
  --vault-password-file F, --vault-id ID, -J/--ask-vault-pass
  -v, --verbose                more details (repeatable)
  -h, --help                   show this help and exit
`;

const SPEC = {
  inventory: { type: "string", short: "i", multiple: true },
  "inventory-file": { type: "string", multiple: true },
  list: { type: "boolean" },
  graph: { type: "boolean" },
  host: { type: "string" },
  vars: { type: "boolean" },
  yaml: { type: "boolean", short: "y" },
  export: { type: "boolean" },
  output: { type: "string" },
  limit: { type: "string", short: "l", multiple: true },
  "vault-password-file": { type: "string", multiple: true },
  "vault-pass-file": { type: "string", multiple: true },
  "vault-id": { type: "string", multiple: true },
  "ask-vault-pass": { type: "boolean", short: "J" },
  "playbook-dir": { type: "string" },
  "extra-vars": { type: "string", short: "e", multiple: true },
  verbose: { type: "boolean", short: "v", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

/** Variables ansible-inventory never prints (magic and internal ones). */
const INTERNAL_VARS = new Set([
  "ansible_diff_mode",
  "ansible_config_file",
  "ansible_facts",
  "ansible_forks",
  "ansible_inventory_sources",
  "ansible_limit",
  "ansible_playbook_python",
  "ansible_run_tags",
  "ansible_skip_tags",
  "ansible_verbosity",
  "ansible_version",
  "inventory_dir",
  "inventory_file",
  "inventory_hostname",
  "inventory_hostname_short",
  "groups",
  "group_names",
  "omit",
  "playbook_dir",
]);

function clean(vars: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (!INTERNAL_VARS.has(k)) out[k] = v;
  return out;
}

export interface InventoryView {
  inv: Inventory;
  exportMode: boolean;
  showVars: boolean;
  /** --playbook-dir: its group_vars/ and host_vars/ count too. */
  playbookDirs?: string[];
  /** -e: extra variables win over every host variable (not shown in --export). */
  extraVars?: Record<string, unknown>;
}

function hostVars(view: InventoryView, name: string): Record<string, unknown> {
  if (view.exportMode) return clean(view.inv.hostOwnVars(name, { playbookDirs: view.playbookDirs }));
  return clean({ ...view.inv.hostVars(name, { playbookDirs: view.playbookDirs }), ...view.extraVars });
}

function groupVars(view: InventoryView, g: Group): Record<string, unknown> {
  const v = view.inv.groupVars(g.name, { playbookDirs: view.playbookDirs });
  if (g.priority !== undefined && g.priority !== 1) v.ansible_group_priority = g.priority;
  return clean(v);
}

/** The --list document. */
export function listInventory(view: InventoryView): Record<string, unknown> {
  const { inv } = view;
  const seen = new Set<string>();
  const results: Record<string, unknown> = {};
  const format = (g: Group) => {
    const entry: Record<string, unknown> = {};
    results[g.name] = entry;
    if (g.name !== "all") entry.hosts = [...g.hosts];
    entry.children = [...g.children];
    for (const c of g.children) {
      if (!seen.has(c)) {
        format(inv.getGroup(c)!);
        seen.add(c);
      }
    }
    if (view.exportMode) entry.vars = groupVars(view, g);
    for (const k of ["hosts", "vars", "children"]) {
      const x = entry[k];
      if (x !== undefined && (Array.isArray(x) ? !x.length : !Object.keys(x as object).length)) {
        delete entry[k];
      }
    }
    if (!Object.keys(entry).length) delete results[g.name];
  };
  format(inv.getGroup("all")!);
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.selectHosts("all")) {
    const v = hostVars(view, h.name);
    if (Object.keys(v).length) hostvars[h.name] = v;
  }
  return { _meta: { hostvars }, ...results };
}

/** The --list --yaml document (hosts nested in groups, each host's vars shown once). */
export function yamlInventory(view: InventoryView): Record<string, unknown> {
  const { inv } = view;
  const seen = new Set<string>();
  const format = (g: Group): Record<string, unknown> => {
    const entry: Record<string, unknown> = {};
    const children: Record<string, unknown> = {};
    for (const c of g.children) if (c !== "all") Object.assign(children, format(inv.getGroup(c)!));
    entry.children = children;
    const hosts: Record<string, unknown> = {};
    if (g.name !== "all") {
      for (const h of g.hosts) {
        let v: Record<string, unknown> = {};
        if (!seen.has(h)) {
          seen.add(h);
          v = hostVars(view, h);
        }
        hosts[h] = v;
      }
    }
    entry.hosts = hosts;
    if (view.exportMode) {
      const gv = groupVars(view, g);
      if (Object.keys(gv).length) entry.vars = gv;
    }
    for (const k of ["hosts", "vars", "children"]) {
      const x = entry[k];
      if (x !== undefined && !Object.keys(x as object).length) delete entry[k];
    }
    return { [g.name]: entry };
  };
  return format(inv.getGroup("all")!);
}

/** The --graph text. */
export function graphInventory(view: InventoryView, start: string): string {
  const { inv } = view;
  const top = inv.getGroup(start);
  if (!top) throw new UsageError("Pattern must be valid group name when using --graph");
  const name = (s: string, depth: number) => depth ? `${"  |".repeat(depth)}--${s}` : s;
  const showVars = (vars: Record<string, unknown>, depth: number) =>
    Object.keys(vars).sort(pyStrCompare).map((k) => name(`{${k} = ${pyStr(vars[k])}}`, depth));
  const walk = (g: Group, depth: number): string[] => {
    const out = [name(`@${g.name}:`, depth)];
    for (const c of g.children) out.push(...walk(inv.getGroup(c)!, depth + 1));
    if (g.name !== "all") {
      for (const h of g.hosts) {
        out.push(name(h, depth + 1));
        if (view.showVars) out.push(...showVars(hostVars(view, h), depth + 2));
      }
    }
    if (view.showVars) out.push(...showVars(groupVars(view, g), depth + 1));
    return out;
  };
  return walk(top, 0).join("\n");
}

function runSync(argv: string[], prog: string): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  } catch (e) {
    throw parseArgsError(e);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE.replace("mito inventory", prog));
    return 0;
  }
  const modes = [values.list, values.graph, values.host !== undefined].filter(Boolean).length;
  // what ansible-inventory refuses once its options are read: its help, then the error, and exit 5
  const refused = (message: string) => {
    process.stdout.write(USAGE.replace("mito inventory", prog));
    return new CommandError(message, 5);
  };
  if (modes !== 1) {
    throw refused(
      modes
        ? "Conflicting options used, only one of --host, --graph or --list can be used at the same time."
        : "No action selected, at least one of --host, --graph or --list needs to be specified.",
    );
  }
  if (positionals.length > (values.graph ? 1 : 0)) {
    throw new UsageError(`unexpected argument '${positionals.at(-1)}'`);
  }
  const env = process.env as Record<string, string | undefined>;
  const warn = stderrWarnings();
  try {
    const cfg = loadConfig({ env, cwd: process.cwd(), home: os.homedir() });
    const files = [...(values["vault-password-file"] ?? []), ...(values["vault-pass-file"] ?? [])];
    const ids = [...cfg.vaultIdentityList, ...(values["vault-id"] ?? [])];
    const vault = VaultSecrets.fromOptions({
      passwordFiles: files.length || ids.length || values["ask-vault-pass"] ? files : cfg.vaultPasswordFiles,
      vaultIds: ids,
      askVaultPass: values["ask-vault-pass"] ?? cfg.askVaultPass,
    });
    const given = [...(values.inventory ?? []), ...(values["inventory-file"] ?? [])];
    const sources = given.length ? given : cfg.inventory.filter((s) => fs.existsSync(s));
    const extraVars = parseExtraVars(values["extra-vars"] ?? [], {
      parseYaml: (text, source) => parseYaml(text, { file: source, vault }),
      loadYamlFile: (file) => loadYamlFile(file, { vault }),
    });
    // --playbook-dir, by default ANSIBLE_PLAYBOOK_DIR as in ansible-inventory: its inventory_plugins/ and vars
    const playbookDir = values["playbook-dir"] ?? env.ANSIBLE_PLAYBOOK_DIR;
    const inv = Inventory.load(sources, {
      ...configuredOptions(cfg),
      vault,
      onWarning: warn,
      // ansible-inventory's templar: the configured jinja2_native mode, the extra variables for use_extra_vars
      templar: new Templar({ native: cfg.jinja2Native === true, warn }),
      extraVars,
      ansiblePlugins: {
        python: controllerPython(env),
        basedirs: playbookDir ? [path.resolve(playbookDir)] : [],
      },
    });
    const view: InventoryView = {
      inv,
      exportMode: Boolean(values.export),
      showVars: Boolean(values.vars),
      playbookDirs: playbookDir ? [path.resolve(playbookDir)] : undefined,
      extraVars,
    };
    let text: string;
    if (values.host !== undefined) {
      const hosts = inv.selectHosts(values.host);
      if (hosts.length !== 1) throw refused("You must pass a single valid host to --host parameter");
      const v = hostVars(view, hosts[0].name);
      text = values.yaml ? pyYamlDump(v) : pyJsonDump(v);
    } else if (values.graph) {
      if (!inv.getGroup(positionals[0] ?? "all")) {
        throw refused("Pattern must be valid group name when using --graph");
      }
      text = graphInventory(view, positionals[0] ?? "all");
    } else {
      text = values.yaml ? pyYamlDump(yamlInventory(view)) : pyJsonDump(listInventory(view));
    }
    if (values.output) fs.writeFileSync(values.output, text);
    else process.stdout.write(text.endsWith("\n") ? text : text + "\n");
    return 0;
  } catch (e) {
    if (
      e instanceof InventoryError || e instanceof YamlError || e instanceof VaultError ||
      e instanceof ConfigError ||
      e instanceof PatternError || e instanceof PlaybookError
    ) {
      process.stderr.write(`ERROR! ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

export function inventory(argv: string[], prog = "mito inventory"): Promise<number> {
  return Promise.resolve(runSync(argv, prog));
}
