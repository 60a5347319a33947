// The settings a run needs, from the configuration layer (ansible.cfg, ANSIBLE_* variables) with
// Ansible's defaults.

export interface Settings {
  inventory: string[];
  forks: number;
  strategy: string;
  gathering: string;
  rolesPath: string[];
  stdoutCallback?: string;
  noColor: boolean;
  forceColor: boolean;
  vaultPasswordFiles: string[];
  forceHandlers: boolean;
  hashBehaviour: string;
  displaySkippedHosts: boolean;
  displayOkHosts: boolean;
  showCustomStats: boolean;
  /** The file the settings came from, for -v's "Using … as config file". */
  configFile?: string;
  /** remote_user, private_key_file, timeout, become* … as the runner's defaults. */
  connectionDefaults: Record<string, unknown>;
}

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return ["1", "true", "yes", "on", "y", "t"].includes(v.trim().toLowerCase());
}

function envList(v: string | undefined, sep: RegExp): string[] | undefined {
  if (v === undefined || v === "") return undefined;
  return v.split(sep).map((s) => s.trim()).filter(Boolean);
}

export function readSettings(
  o: { env: Record<string, string | undefined>; cwd: string; home: string },
): Settings {
  const e = o.env;
  const connectionDefaults: Record<string, unknown> = {};
  if (e.ANSIBLE_REMOTE_USER) connectionDefaults.remote_user = e.ANSIBLE_REMOTE_USER;
  if (e.ANSIBLE_PRIVATE_KEY_FILE) connectionDefaults.private_key_file = e.ANSIBLE_PRIVATE_KEY_FILE;
  if (e.ANSIBLE_TIMEOUT) connectionDefaults.timeout = Number(e.ANSIBLE_TIMEOUT);
  if (e.ANSIBLE_HOST_KEY_CHECKING !== undefined) {
    connectionDefaults.host_key_checking = envBool(e.ANSIBLE_HOST_KEY_CHECKING);
  }
  if (e.ANSIBLE_BECOME !== undefined) connectionDefaults.become = envBool(e.ANSIBLE_BECOME);
  if (e.ANSIBLE_BECOME_METHOD) connectionDefaults.become_method = e.ANSIBLE_BECOME_METHOD;
  if (e.ANSIBLE_BECOME_USER) connectionDefaults.become_user = e.ANSIBLE_BECOME_USER;
  return {
    inventory: envList(e.ANSIBLE_INVENTORY, /,/) ?? [],
    forks: Number(e.ANSIBLE_FORKS ?? 5),
    strategy: e.ANSIBLE_STRATEGY ?? "linear",
    gathering: e.ANSIBLE_GATHERING ?? "implicit",
    rolesPath: envList(e.ANSIBLE_ROLES_PATH, /:/) ??
      [`${o.home}/.ansible/roles`, "/usr/share/ansible/roles", "/etc/ansible/roles"],
    stdoutCallback: e.ANSIBLE_STDOUT_CALLBACK,
    noColor: envBool(e.ANSIBLE_NOCOLOR) ?? (e.NO_COLOR !== undefined && e.NO_COLOR !== ""),
    forceColor: envBool(e.ANSIBLE_FORCE_COLOR) ?? false,
    vaultPasswordFiles: envList(e.ANSIBLE_VAULT_PASSWORD_FILE, /,/) ?? [],
    forceHandlers: envBool(e.ANSIBLE_FORCE_HANDLERS) ?? false,
    hashBehaviour: e.ANSIBLE_HASH_BEHAVIOUR ?? "replace",
    displaySkippedHosts: envBool(e.ANSIBLE_DISPLAY_SKIPPED_HOSTS) ?? true,
    displayOkHosts: envBool(e.ANSIBLE_DISPLAY_OK_HOSTS) ?? true,
    showCustomStats: envBool(e.ANSIBLE_SHOW_CUSTOM_STATS) ?? false,
    connectionDefaults,
  };
}
