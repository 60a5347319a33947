// Which inventory plugins try a source, in which order (INVENTORY_ENABLED), the host-list plugins, and
// a source file read once for every plugin that tries it.
import * as fs from "node:fs";
import { type InventoryData, InventoryError } from "./_data.ts";
import { expandRanges, HostPatternError, splitPort } from "./_hostpattern.ts";
import { parseYaml } from "../yaml/mod.ts";
import { decryptVault, isVaultText, type VaultSecrets } from "../vault/mod.ts";

/**
 * The inventory plugins mito has, by their short names; `toml` is ansible-core's own, run through it when
 * it is installed (mito has no TOML reader).
 */
export type PluginName =
  | "host_list"
  | "advanced_host_list"
  | "script"
  | "auto"
  | "yaml"
  | "ini"
  | "toml"
  | "constructed";
const MINE: PluginName[] = [
  "host_list",
  "advanced_host_list",
  "script",
  "auto",
  "yaml",
  "ini",
  "toml",
  "constructed",
];

/** INVENTORY_ENABLED's default. */
export const DEFAULT_ENABLED_PLUGINS = ["host_list", "script", "auto", "yaml", "ini", "toml"];

/** An enabled plugin: which of mito's it is (or ansible-core's), the name it was enabled by, how failures name it. */
export interface EnabledPlugin {
  kind: PluginName | "ansible";
  /** As written in the enabled list: a constructed configuration must name the plugin so. */
  name: string;
  /** Ansible names a plugin enabled by its ansible.builtin. name by its Python module. */
  label: string;
}

/** The enabled list (short or ansible.builtin. names) as the plugins mito has, in order, and the names no plugin answers to. */
export function enabledPlugins(names: string[]): { plugins: EnabledPlugin[]; unknown: string[] } {
  const plugins: EnabledPlugin[] = [];
  const unknown: string[] = [];
  const BUILTIN = "ansible.builtin.";
  for (const name of names) {
    const fq = name.startsWith(BUILTIN);
    const kind = fq ? name.slice(BUILTIN.length) : name;
    if (MINE.includes(kind as PluginName)) {
      const label = fq ? `ansible_collections.ansible.builtin.plugins.inventory.${kind}` : kind;
      plugins.push({ kind: kind as PluginName, name, label });
    } else unknown.push(name);
  }
  return { plugins, unknown };
}

/**
 * host_list (`a,b:2222,`) and, with `ranges`, advanced_host_list (`web[1:3],`): hosts not yet in the
 * inventory join `ungrouped`. A range Ansible refuses with its own error leaves the entry a host as
 * written (said at -vvv); one its Python fails on fails the source.
 */
export function parseHostList(
  list: string,
  into: InventoryData,
  ranges: boolean,
  log: (message: string, level: number) => void,
): void {
  for (const part of list.split(",")) {
    const entry = part.trim();
    if (!entry) continue;
    let { host, port } = splitPort(entry);
    let hosts = [host];
    if (ranges) {
      try {
        hosts = expandRanges(host);
      } catch (e) {
        if (!(e instanceof HostPatternError)) throw e;
        if (!e.ansibleError) {
          throw new InventoryError(`Invalid data from string, could not parse: ${e.python ?? e.message}`);
        }
        log(`Unable to parse address from hostname, leaving unchanged: ${e.message}`, 3);
        [hosts, port] = [[entry], undefined];
      }
    }
    for (const h of hosts) if (!into.hosts.has(h)) into.addHost(h, "ungrouped", port);
  }
}

/** A source file's text (decrypted when vaulted) and its YAML, each read once whichever plugins ask. */
export class SourceFile {
  #text?: string;
  #yaml?: { value: unknown } | { error: unknown };
  constructor(readonly file: string, readonly vault?: VaultSecrets) {}

  text(): string {
    if (this.#text === undefined) {
      let text = fs.readFileSync(this.file, "utf8");
      if (isVaultText(text)) {
        if (!this.vault) {
          throw new InventoryError(`Attempting to decrypt but no vault secrets found on ${this.file}`);
        }
        text = decryptVault(text, this.vault, this.file);
      }
      this.#text = text;
    }
    return this.#text;
  }

  /** The parsed YAML; a YAML error is thrown again to every plugin that asks. */
  yaml(): unknown {
    if (!this.#yaml) {
      try {
        this.#yaml = { value: parseYaml(this.text(), { file: this.file, vault: this.vault }) };
      } catch (e) {
        this.#yaml = { error: e };
      }
    }
    if ("error" in this.#yaml) throw this.#yaml.error;
    return this.#yaml.value;
  }
}
