// What a host's facts become in its variables, as Ansible's clean_facts and namespace_facts make them:
// `ansible_facts` holds every fact without its `ansible_` prefix, and the top-level variables
// (inject_facts_as_vars) hold the facts as they were named, less those that could stand in for a
// connection, become or interpreter setting or for a key the executor itself reads. A module's facts
// are data from the target: a fact must never choose how the controller reaches the host.
import { wrapUnsafe } from "../values.ts";

/** Magic variables (Ansible's MAGIC_VARIABLE_MAPPING) and common connection variables. */
const MAGIC_NAMES = new Set([
  "ansible_connection",
  "ansible_module_compression",
  "ansible_shell_type",
  "ansible_shell_executable",
  "ansible_ssh_host",
  "ansible_host",
  "ansible_ssh_user",
  "ansible_user",
  "ansible_ssh_pass",
  "ansible_password",
  "ansible_ssh_port",
  "ansible_port",
  "ansible_ssh_pipelining",
  "ansible_pipelining",
  "ansible_ssh_timeout",
  "ansible_timeout",
  "ansible_ssh_private_key_file",
  "ansible_private_key_file",
  "ansible_network_os",
  "ansible_connection_user",
  "ansible_ssh_executable",
  "ansible_ssh_common_args",
  "ansible_sftp_extra_args",
  "ansible_scp_extra_args",
  "ansible_ssh_extra_args",
  "ansible_ssh_transfer_method",
  "ansible_docker_extra_args",
  "ansible_become",
  "ansible_become_method",
  "ansible_become_user",
  "ansible_become_password",
  "ansible_become_pass",
  "ansible_become_exe",
  "ansible_become_flags",
]);

/** Keys the executor reads from a result or a variable set (RESTRICTED_ and INTERNAL_RESULT_KEYS). */
const RESERVED_NAMES = new Set([
  "ansible_rsync_path",
  "ansible_playbook_python",
  "ansible_facts",
  "add_host",
  "add_group",
]);

/**
 * ansible-core's own connection plugins: `ansible_<name>_*` is that plugin's option. Container and VM
 * tools name devices `<name>_bridge`/`<name>_gwbridge`; those facts are kept.
 */
const CONNECTION_OPTION = /^ansible_(local|paramiko_ssh|psrp|ssh|winrm)_/;
const DEVICE = /_(gw)?bridge$/;
const INTERPRETER = /^ansible_.*_interpreter$/;

/** Whether Ansible's clean_facts drops the fact from the top-level variables. */
function restricted(key: string): boolean {
  if (key.startsWith("ansible_ssh_host_key_")) return false;
  return MAGIC_NAMES.has(key) || RESERVED_NAMES.has(key) || key.startsWith("ansible_become_") ||
    (CONNECTION_OPTION.test(key) && !DEVICE.test(key)) || INTERPRETER.test(key);
}

/** The facts as `ansible_facts` shows them: `ansible_` prefixes dropped (not ansible_local's). */
export function namespaceFacts(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) {
    out[k.startsWith("ansible_") && k !== "ansible_local" ? k.slice(8) : k] = v;
  }
  return out;
}

/**
 * The facts that become top-level variables, and the names of those dropped (Ansible warns of each);
 * internal `_ansible_*` keys (the gathered marker) go too, without a word.
 */
export function cleanFacts(
  facts: Record<string, unknown>,
): { vars: Record<string, unknown>; removed: string[] } {
  const vars: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const [k, v] of Object.entries(facts)) {
    if (restricted(k)) removed.push(k);
    else if (!k.startsWith("_ansible_")) vars[k] = v;
  }
  return { vars, removed };
}

/** Ansible's warning for a fact kept out of the top-level variables. */
export const removedFactWarning = (key: string): string => `Removed restricted key from module data: ${key}`;

/**
 * One host's facts as Ansible's fact cache holds them (each key as its module named it, merged key by
 * key), with the two views the variables read, built again only after a change.
 */
export class HostFacts {
  #raw: Record<string, unknown> = {};
  #namespaced: Record<string, unknown> | undefined;
  #clean: { vars: Record<string, unknown>; removed: string[] } | undefined;

  /** Facts to keep: a module's (or cacheable set_fact's) values are data, wrapped unsafe as Ansible does. */
  merge(facts: Record<string, unknown>): void {
    Object.assign(this.#raw, wrapUnsafe(facts) as Record<string, unknown>);
    this.#namespaced = this.#clean = undefined;
  }

  /** meta: clear_facts. */
  clear(): void {
    this.#raw = {};
    this.#namespaced = this.#clean = undefined;
  }

  /** The facts as their modules named them. */
  get raw(): Readonly<Record<string, unknown>> {
    return this.#raw;
  }

  /** `ansible_facts`. */
  get namespaced(): Record<string, unknown> {
    return this.#namespaced ??= namespaceFacts(this.#raw);
  }

  /** The top-level variables the facts give. */
  get topLevel(): Record<string, unknown> {
    return (this.#clean ??= cleanFacts(this.#raw)).vars;
  }

  /** The facts kept out of the top-level variables. */
  get removed(): readonly string[] {
    return (this.#clean ??= cleanFacts(this.#raw)).removed;
  }
}
