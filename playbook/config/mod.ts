// ansible.cfg and ANSIBLE_* settings as ansible-core 2.14 reads them: the first config file found
// (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg), environment variables
// over the file, documented defaults under both. Errors name the file and line of a bad value.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, type IniFile, parseConfigIni } from "./_ini.ts";
import { boolean, NotABooleanError } from "../py/boolean.ts";

export { ConfigError };

export interface Config {
  file?: string;
  inventory: string[];
  remoteUser?: string;
  remotePort?: number;
  forks: number;
  rolesPath: string[];
  collectionsPath: string[];
  /** Whether Python's site directories are searched for `ansible_collections` too. */
  collectionsScanSysPath: boolean;
  libraryPath: string[];
  /** module_utils: folders whose files modules import as ansible.module_utils.<name>. */
  moduleUtilsPath: string[];
  /** filter_plugins, test_plugins, lookup_plugins: folders of controller-side Python plugins. */
  filterPluginPath: string[];
  testPluginPath: string[];
  lookupPluginPath: string[];
  /** action_plugins: folders of Python action plugins. */
  actionPluginPath: string[];
  callbackPluginPath: string[];
  hostKeyChecking: boolean;
  timeout: number;
  become: boolean;
  becomeMethod: string;
  becomeUser: string;
  becomeAskPass: boolean;
  becomeAllowSameUser: boolean;
  /** DEFAULT_MANAGED_STR: what a template's ansible_managed says. */
  ansibleManaged: string;
  stdoutCallback: string;
  factCaching: string;
  factCachingConnection?: string;
  factCachingTimeout: number;
  /** Put before each host's name in the jsonfile cache's file names. */
  factCachingPrefix?: string;
  vaultPasswordFiles: string[];
  vaultIdentityList: string[];
  strategy: string;
  gathering: string;
  privateKeyFile?: string;
  remoteTmp: string;
  /** Where async jobs keep their results on targets (the shell plugins' async_dir). */
  asyncDir: string;
  localTmp: string;
  sshArgs?: string;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  pipelining: boolean;
  retryFiles: boolean;
  nocolor: boolean;
  forceColor: boolean;
  displaySkippedHosts: boolean;
  displayOkHosts: boolean;
  anyErrorsFatal: boolean;
  interpreterPython: string;
  hashBehaviour: string;
  askVaultPass: boolean;
  askPass: boolean;
  vaultIdentity: string;
  vaultIdMatch: boolean;
  vaultEncryptIdentity?: string;
  verbosity: number;
  transport: string;
  callbacksEnabled: string[];
  /** bin_ansible_callbacks: whether `ansible` (ad-hoc) uses the configured callbacks. */
  loadCallbackPlugins: boolean;
  /** callback_result_format (json, yaml) and callback_format_pretty (unset: pretty for yaml only). */
  callbackResultFormat: string;
  callbackFormatPretty?: boolean;
  diffAlways: boolean;
  diffContext: number;
  forceHandlers: boolean;
  /** A notify naming no handler stops the run (else it is a warning). */
  errorOnMissingHandler: boolean;
  errorOnUndefinedVars: boolean;
  inventoryIgnoreExts: string[];
  inventoryUnparsedIsFailed: boolean;
  inventoryAnyUnparsedIsFailed: boolean;
  /** validate_action_group_metadata: warn about an action group's metadata that is not as documented. */
  validateActionGroupMetadata: boolean;
  /** INVENTORY_ENABLED: the inventory plugins offered each source, in this order. */
  inventoryEnabled: string[];
  /** [inventory_plugins] use_extra_vars: the constructed plugin's default for its option. */
  inventoryUseExtraVars: boolean;
  /** TRANSFORM_INVALID_GROUP_CHARS: never (the default), always, ignore or silently. */
  transformInvalidGroupChars: string;
  /** HOST_PATTERN_MISMATCH: a pattern that matches nothing is a warning (the default), an error, or ignored. */
  hostPatternMismatch: string;
  /** The home of Ansible's own files ($ANSIBLE_HOME, default ~/.ansible). */
  ansibleHome: string;
  /** Why a config file was passed over (world-writable directory). */
  warnings: string[];
  /** Where each setting that is not a default came from: "env: NAME" or "file:line". */
  sources: Record<string, string>;
  [k: string]: unknown;
}

type Kind = "string" | "integer" | "boolean" | "list" | "pathlist" | "pathspec" | "path" | "float";

interface Setting {
  key: string;
  kind: Kind;
  default: unknown;
  env: string[];
  ini: [string, string][];
  choices?: string[];
}

const S = (
  key: string,
  kind: Kind,
  dflt: unknown,
  env: string[],
  ini: [string, string][],
  choices?: string[],
): Setting => ({ key, kind, default: dflt, env, ini, choices });

/** INVENTORY_IGNORE_EXTS: what a directory of inventory files skips by default. */
export const DEFAULT_INVENTORY_IGNORE_EXTS = [
  ".pyc",
  ".pyo",
  ".swp",
  ".bak",
  "~",
  ".rpm",
  ".md",
  ".txt",
  ".rst",
  ".orig",
  ".ini",
  ".cfg",
  ".retry",
];

const D = "defaults";
const PE = "privilege_escalation";
const SSH = "ssh_connection";

// `~` and `{ANSIBLE_HOME}` are expanded when the default is used.
const SETTINGS: Setting[] = [
  S("inventory", "pathlist", "/etc/ansible/hosts", ["ANSIBLE_INVENTORY"], [[D, "inventory"], [
    D,
    "hostfile",
  ]]),
  S("remoteUser", "string", undefined, ["ANSIBLE_REMOTE_USER"], [[D, "remote_user"]]),
  S("remotePort", "integer", undefined, ["ANSIBLE_REMOTE_PORT"], [[D, "remote_port"]]),
  S("forks", "integer", 5, ["ANSIBLE_FORKS"], [[D, "forks"]]),
  S("rolesPath", "pathspec", "{ANSIBLE_HOME}/roles:/usr/share/ansible/roles:/etc/ansible/roles", [
    "ANSIBLE_ROLES_PATH",
  ], [[D, "roles_path"]]),
  S("collectionsPath", "pathspec", "{ANSIBLE_HOME}/collections:/usr/share/ansible/collections", [
    "ANSIBLE_COLLECTIONS_PATHS",
    "ANSIBLE_COLLECTIONS_PATH",
  ], [[D, "collections_paths"], [D, "collections_path"]]),
  S("collectionsScanSysPath", "boolean", true, ["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"], [[
    D,
    "collections_scan_sys_path",
  ]]),
  S("libraryPath", "pathspec", "{ANSIBLE_HOME}/plugins/modules:/usr/share/ansible/plugins/modules", [
    "ANSIBLE_LIBRARY",
  ], [[D, "library"]]),
  S(
    "moduleUtilsPath",
    "pathspec",
    "{ANSIBLE_HOME}/plugins/module_utils:/usr/share/ansible/plugins/module_utils",
    [
      "ANSIBLE_MODULE_UTILS",
    ],
    [[D, "module_utils"]],
  ),
  S("filterPluginPath", "pathspec", "{ANSIBLE_HOME}/plugins/filter:/usr/share/ansible/plugins/filter", [
    "ANSIBLE_FILTER_PLUGINS",
  ], [[D, "filter_plugins"]]),
  S("testPluginPath", "pathspec", "{ANSIBLE_HOME}/plugins/test:/usr/share/ansible/plugins/test", [
    "ANSIBLE_TEST_PLUGINS",
  ], [[D, "test_plugins"]]),
  S("lookupPluginPath", "pathspec", "{ANSIBLE_HOME}/plugins/lookup:/usr/share/ansible/plugins/lookup", [
    "ANSIBLE_LOOKUP_PLUGINS",
  ], [[D, "lookup_plugins"]]),
  S("actionPluginPath", "pathspec", "{ANSIBLE_HOME}/plugins/action:/usr/share/ansible/plugins/action", [
    "ANSIBLE_ACTION_PLUGINS",
  ], [[D, "action_plugins"]]),
  S("callbackPluginPath", "pathspec", "{ANSIBLE_HOME}/plugins/callback:/usr/share/ansible/plugins/callback", [
    "ANSIBLE_CALLBACK_PLUGINS",
  ], [[D, "callback_plugins"]]),
  S("hostKeyChecking", "boolean", true, ["ANSIBLE_HOST_KEY_CHECKING"], [[D, "host_key_checking"]]),
  S("timeout", "integer", 10, ["ANSIBLE_TIMEOUT"], [[D, "timeout"]]),
  S("become", "boolean", false, ["ANSIBLE_BECOME"], [[PE, "become"]]),
  S("becomeMethod", "string", "sudo", ["ANSIBLE_BECOME_METHOD"], [[PE, "become_method"]]),
  S("becomeUser", "string", "root", ["ANSIBLE_BECOME_USER"], [[PE, "become_user"]]),
  S("becomeAskPass", "boolean", false, ["ANSIBLE_BECOME_ASK_PASS"], [[PE, "become_ask_pass"]]),
  S("becomeFlags", "string", undefined, ["ANSIBLE_BECOME_FLAGS"], [[PE, "become_flags"]]),
  S("becomeAllowSameUser", "boolean", false, ["ANSIBLE_BECOME_ALLOW_SAME_USER"], [[
    PE,
    "become_allow_same_user",
  ]]),
  S("ansibleManaged", "string", "Ansible managed", [], [[D, "ansible_managed"]]),
  S("stdoutCallback", "string", "default", ["ANSIBLE_STDOUT_CALLBACK"], [[D, "stdout_callback"]]),
  S("factCaching", "string", "memory", ["ANSIBLE_CACHE_PLUGIN"], [[D, "fact_caching"]]),
  S("factCachingConnection", "path", undefined, ["ANSIBLE_CACHE_PLUGIN_CONNECTION"], [[
    D,
    "fact_caching_connection",
  ]]),
  S("factCachingTimeout", "integer", 86400, ["ANSIBLE_CACHE_PLUGIN_TIMEOUT"], [[D, "fact_caching_timeout"]]),
  S("factCachingPrefix", "string", undefined, ["ANSIBLE_CACHE_PLUGIN_PREFIX"], [[D, "fact_caching_prefix"]]),
  S("vaultPasswordFiles", "pathlist", undefined, ["ANSIBLE_VAULT_PASSWORD_FILE"], [[
    D,
    "vault_password_file",
  ]]),
  S("vaultIdentityList", "list", [], ["ANSIBLE_VAULT_IDENTITY_LIST"], [[D, "vault_identity_list"]]),
  S("vaultIdentity", "string", "default", ["ANSIBLE_VAULT_IDENTITY"], [[D, "vault_identity"]]),
  S("vaultIdMatch", "boolean", false, ["ANSIBLE_VAULT_ID_MATCH"], [[D, "vault_id_match"]]),
  S("vaultEncryptIdentity", "string", undefined, ["ANSIBLE_VAULT_ENCRYPT_IDENTITY"], [[
    D,
    "vault_encrypt_identity",
  ]]),
  S("askVaultPass", "boolean", false, ["ANSIBLE_ASK_VAULT_PASS"], [[D, "ask_vault_pass"]]),
  S("askPass", "boolean", false, ["ANSIBLE_ASK_PASS"], [[D, "ask_pass"]]),
  S("strategy", "string", "linear", ["ANSIBLE_STRATEGY"], [[D, "strategy"]]),
  S("gathering", "string", "implicit", ["ANSIBLE_GATHERING"], [[D, "gathering"]], [
    "smart",
    "explicit",
    "implicit",
  ]),
  S("gatherSubset", "list", undefined, ["ANSIBLE_GATHER_SUBSET"], [[D, "gather_subset"]]),
  S("factsModules", "list", ["smart"], ["ANSIBLE_FACTS_MODULES"], [[D, "facts_modules"]]),
  S("injectFactsAsVars", "boolean", true, ["ANSIBLE_INJECT_FACT_VARS"], [[D, "inject_facts_as_vars"]]),
  S("gatherTimeout", "integer", undefined, ["ANSIBLE_GATHER_TIMEOUT"], [[D, "gather_timeout"]]),
  S("privateKeyFile", "path", undefined, ["ANSIBLE_PRIVATE_KEY_FILE"], [[D, "private_key_file"]]),
  S("remoteTmp", "string", "~/.ansible/tmp", ["ANSIBLE_REMOTE_TEMP", "ANSIBLE_REMOTE_TMP"], [[
    D,
    "remote_tmp",
  ]]),
  S("asyncDir", "string", "~/.ansible_async", ["ANSIBLE_ASYNC_DIR"], [[D, "async_dir"]]),
  S("localTmp", "path", "{ANSIBLE_HOME}/tmp", ["ANSIBLE_LOCAL_TEMP"], [[D, "local_tmp"]]),
  S("sshArgs", "string", "-C -o ControlMaster=auto -o ControlPersist=60s", ["ANSIBLE_SSH_ARGS"], [[
    SSH,
    "ssh_args",
  ]]),
  S("sshCommonArgs", "string", undefined, ["ANSIBLE_SSH_COMMON_ARGS"], [[SSH, "ssh_common_args"]]),
  S("sshExtraArgs", "string", undefined, ["ANSIBLE_SSH_EXTRA_ARGS"], [[SSH, "ssh_extra_args"]]),
  S("sshExecutable", "string", "ssh", ["ANSIBLE_SSH_EXECUTABLE"], [[SSH, "ssh_executable"]]),
  S("controlPath", "string", undefined, ["ANSIBLE_SSH_CONTROL_PATH"], [[SSH, "control_path"]]),
  S("controlPathDir", "string", "{ANSIBLE_HOME}/cp", ["ANSIBLE_SSH_CONTROL_PATH_DIR"], [[
    SSH,
    "control_path_dir",
  ]]),
  S("sshRetries", "integer", 0, ["ANSIBLE_SSH_RETRIES"], [[SSH, "retries"]]),
  S("pipelining", "boolean", false, ["ANSIBLE_PIPELINING", "ANSIBLE_SSH_PIPELINING"], [
    [D, "pipelining"],
    ["connection", "pipelining"],
    [SSH, "pipelining"],
  ]),
  S("retryFiles", "boolean", false, ["ANSIBLE_RETRY_FILES_ENABLED"], [[D, "retry_files_enabled"]]),
  S("retryFilesSavePath", "path", undefined, ["ANSIBLE_RETRY_FILES_SAVE_PATH"], [[
    D,
    "retry_files_save_path",
  ]]),
  S("nocolor", "boolean", false, ["ANSIBLE_NOCOLOR", "NO_COLOR"], [[D, "nocolor"]]),
  S("forceColor", "boolean", false, ["ANSIBLE_FORCE_COLOR"], [[D, "force_color"]]),
  S("displaySkippedHosts", "boolean", true, ["ANSIBLE_DISPLAY_SKIPPED_HOSTS"], [[
    D,
    "display_skipped_hosts",
  ]]),
  S("displayOkHosts", "boolean", true, ["ANSIBLE_DISPLAY_OK_HOSTS"], [[D, "display_ok_hosts"]]),
  S("displayArgsToStdout", "boolean", false, ["ANSIBLE_DISPLAY_ARGS_TO_STDOUT"], [[
    D,
    "display_args_to_stdout",
  ]]),
  S("showCustomStats", "boolean", false, ["ANSIBLE_SHOW_CUSTOM_STATS"], [[D, "show_custom_stats"]]),
  S("anyErrorsFatal", "boolean", false, ["ANSIBLE_ANY_ERRORS_FATAL"], [[D, "any_errors_fatal"]]),
  S("interpreterPython", "string", "auto", ["ANSIBLE_PYTHON_INTERPRETER"], [[D, "interpreter_python"]]),
  S("hashBehaviour", "string", "replace", ["ANSIBLE_HASH_BEHAVIOUR"], [[D, "hash_behaviour"]], [
    "replace",
    "merge",
  ]),
  S("transport", "string", "smart", ["ANSIBLE_TRANSPORT"], [[D, "transport"]]),
  S("pollInterval", "integer", 15, ["ANSIBLE_POLL_INTERVAL"], [[D, "poll_interval"]]),
  S("verbosity", "integer", 0, ["ANSIBLE_VERBOSITY"], [[D, "verbosity"]]),
  S("executable", "string", "/bin/sh", ["ANSIBLE_EXECUTABLE"], [[D, "executable"]]),
  S("keepRemoteFiles", "boolean", false, ["ANSIBLE_KEEP_REMOTE_FILES"], [[D, "keep_remote_files"]]),
  S("noLog", "boolean", false, ["ANSIBLE_NO_LOG"], [[D, "no_log"]]),
  S("logPath", "path", undefined, ["ANSIBLE_LOG_PATH"], [[D, "log_path"]]),
  S("callbacksEnabled", "list", [], ["ANSIBLE_CALLBACK_WHITELIST", "ANSIBLE_CALLBACKS_ENABLED"], [
    [D, "callback_whitelist"],
    [D, "callbacks_enabled"],
  ]),
  S("callbackResultFormat", "string", "json", ["ANSIBLE_CALLBACK_RESULT_FORMAT"], [
    [D, "callback_result_format"],
  ], ["json", "yaml"]),
  S("callbackFormatPretty", "boolean", undefined, ["ANSIBLE_CALLBACK_FORMAT_PRETTY"], [
    [D, "callback_format_pretty"],
  ]),
  S("loadCallbackPlugins", "boolean", false, ["ANSIBLE_LOAD_CALLBACK_PLUGINS"], [[
    D,
    "bin_ansible_callbacks",
  ]]),
  S("errorOnUndefinedVars", "boolean", true, ["ANSIBLE_ERROR_ON_UNDEFINED_VARS"], [[
    D,
    "error_on_undefined_vars",
  ]]),
  S("errorOnMissingHandler", "boolean", true, ["ANSIBLE_ERROR_ON_MISSING_HANDLER"], [[
    D,
    "error_on_missing_handler",
  ]]),
  S("forceHandlers", "boolean", false, ["ANSIBLE_FORCE_HANDLERS"], [[D, "force_handlers"]]),
  S("errorOnMissingHandler", "boolean", true, ["ANSIBLE_ERROR_ON_MISSING_HANDLER"], [[
    D,
    "error_on_missing_handler",
  ]]),
  S("privateRoleVars", "boolean", false, ["ANSIBLE_PRIVATE_ROLE_VARS"], [[D, "private_role_vars"]]),
  S("jinja2Native", "boolean", false, ["ANSIBLE_JINJA2_NATIVE"], [[D, "jinja2_native"]]),
  S("deprecationWarnings", "boolean", true, ["ANSIBLE_DEPRECATION_WARNINGS"], [[D, "deprecation_warnings"]]),
  S("validateActionGroupMetadata", "boolean", true, ["ANSIBLE_VALIDATE_ACTION_GROUP_METADATA"], [[
    D,
    "validate_action_group_metadata",
  ]]),
  S("systemWarnings", "boolean", true, ["ANSIBLE_SYSTEM_WARNINGS"], [[D, "system_warnings"]]),
  S("duplicateDictKey", "string", "warn", ["ANSIBLE_DUPLICATE_YAML_DICT_KEY"], [[D, "duplicate_dict_key"]], [
    "warn",
    "error",
    "ignore",
  ]),
  S("diffAlways", "boolean", false, ["ANSIBLE_DIFF_ALWAYS"], [["diff", "always"]]),
  S("diffContext", "integer", 3, ["ANSIBLE_DIFF_CONTEXT"], [["diff", "context"]]),
  S("runTags", "list", [], ["ANSIBLE_RUN_TAGS"], [["tags", "run"]]),
  S("skipTags", "list", [], ["ANSIBLE_SKIP_TAGS"], [["tags", "skip"]]),
  S(
    "inventoryIgnoreExts",
    "list",
    DEFAULT_INVENTORY_IGNORE_EXTS,
    ["ANSIBLE_INVENTORY_IGNORE"],
    [[D, "inventory_ignore_extensions"], ["inventory", "ignore_extensions"]],
  ),
  S("inventoryUnparsedIsFailed", "boolean", false, ["ANSIBLE_INVENTORY_UNPARSED_FAILED"], [[
    "inventory",
    "unparsed_is_failed",
  ]]),
  S("inventoryAnyUnparsedIsFailed", "boolean", false, ["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"], [[
    "inventory",
    "any_unparsed_is_failed",
  ]]),
  S(
    "inventoryEnabled",
    "list",
    ["host_list", "script", "auto", "yaml", "ini", "toml"],
    ["ANSIBLE_INVENTORY_ENABLED"],
    [["inventory", "enable_plugins"]],
  ),
  S("inventoryUseExtraVars", "boolean", false, ["ANSIBLE_INVENTORY_USE_EXTRA_VARS"], [[
    "inventory_plugins",
    "use_extra_vars",
  ]]),
  S(
    "transformInvalidGroupChars",
    "string",
    "never",
    ["ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS"],
    [[D, "force_valid_group_names"]],
    ["always", "never", "ignore", "silently"],
  ),
  S("hostPatternMismatch", "string", "warning", ["ANSIBLE_HOST_PATTERN_MISMATCH"], [[
    "inventory",
    "host_pattern_mismatch",
  ]], ["error", "warning", "ignore"]),
];

function expandUser(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return p;
}

interface Ctx {
  home: string;
  cwd: string;
  ansibleHome: string;
}

/** Converts a raw value; `base` resolves relative paths (the config file's folder, or cwd). */
function convert(s: Setting, raw: string, base: string, ctx: Ctx, where: string): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(`${where}: invalid value '${raw}' for ${s.key}: expected ${what}`);
  };
  const resolve = (p: string) =>
    path.resolve(base, expandUser(p.replace("{ANSIBLE_HOME}", ctx.ansibleHome), ctx.home));
  switch (s.kind) {
    case "boolean": {
      // Ansible reads an empty setting as false; any other word it does not know is refused here (Ansible
      // would take it silently as false).
      if (raw.trim() === "") return false;
      try {
        return boolean(raw);
      } catch (e) {
        if (e instanceof NotABooleanError) return bad("a boolean (yes/no, true/false, on/off, 1/0)");
        throw e;
      }
    }
    case "integer": {
      if (!/^\s*[-+]?\d+\s*$/.test(raw)) return bad("an integer");
      return parseInt(raw, 10);
    }
    case "float": {
      const n = Number(raw);
      return Number.isFinite(n) ? n : bad("a number");
    }
    case "list":
      return raw.split(",").map((x) => x.trim()).filter((x) => x !== "");
    case "pathlist":
      return raw.split(",").map((x) => x.trim()).filter((x) => x !== "").map(resolve);
    case "pathspec":
      return raw.split(":").map((x) => x.trim()).filter((x) => x !== "").map(resolve);
    case "path":
      return resolve(raw.trim());
    default:
      if (s.choices && !s.choices.includes(raw)) return bad(`one of ${s.choices.join(", ")}`);
      return raw;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Which config file Ansible would read, or undefined. `warnings` collects why one was skipped. */
export function findConfigFile(
  opts: { env: Record<string, string | undefined>; cwd: string; home: string },
  warnings: string[] = [],
): string | undefined {
  const fromEnv = opts.env.ANSIBLE_CONFIG;
  if (fromEnv) {
    let p = path.resolve(opts.cwd, expandUser(fromEnv, opts.home));
    try {
      if (fs.statSync(p).isDirectory()) p = path.join(p, "ansible.cfg");
    } catch {
      // a missing ANSIBLE_CONFIG is skipped like Ansible does
    }
    if (isFile(p)) return p;
  }
  const local = path.join(opts.cwd, "ansible.cfg");
  if (isFile(local)) {
    // Ansible refuses a config in a world-writable directory: anyone could plant one there.
    const mode = fs.statSync(opts.cwd).mode;
    if ((mode & 0o002) === 0) return local;
    warnings.push(
      `Ansible is being run in a world writable directory (${opts.cwd}), ignoring it as an ansible.cfg source.`,
    );
  }
  for (const p of [path.join(opts.home, ".ansible.cfg"), "/etc/ansible/ansible.cfg"]) {
    if (isFile(p)) return p;
  }
  return undefined;
}

/** The effective settings; `sources` in the result says where each non-default one came from. */
export function loadConfig(
  opts: { env: Record<string, string | undefined>; cwd: string; home: string },
): Config {
  const warnings: string[] = [];
  const file = findConfigFile(opts, warnings);
  let ini: IniFile = new Map();
  if (file) ini = parseConfigIni(fs.readFileSync(file, "utf8"), file);
  const ansibleHome = path.resolve(opts.cwd, expandUser(opts.env.ANSIBLE_HOME ?? "~/.ansible", opts.home));
  const ctx: Ctx = { home: opts.home, cwd: opts.cwd, ansibleHome };
  const out: Record<string, unknown> = { file, warnings, ansibleHome };
  const sources: Record<string, string> = {};
  for (const s of SETTINGS) {
    let value: unknown = undefined;
    let found = false;
    // The last env variable set wins, as does the last ini key listed (Ansible's order of lookup).
    for (const name of s.env) {
      const v = opts.env[name];
      if (v !== undefined) {
        value = convert(s, v, opts.cwd, ctx, `environment variable ${name}`);
        sources[s.key] = `env: ${name}`;
        found = true;
      }
    }
    if (!found && file) {
      for (const [section, key] of s.ini) {
        const v = ini.get(section)?.get(key);
        if (v !== undefined) {
          value = convert(s, v.value, path.dirname(file), ctx, `${file}:${v.line}`);
          sources[s.key] = `${file}:${v.line}`;
          found = true;
        }
      }
    }
    if (!found) {
      value = s.default;
      if (typeof value === "string" && s.kind !== "string") {
        value = convert(s, value, opts.cwd, ctx, "default");
      } else if (typeof value === "string") value = value.replace("{ANSIBLE_HOME}", ansibleHome);
    }
    out[s.key] = value;
  }
  out.vaultPasswordFiles ??= [];
  out.sources = sources;
  return out as Config;
}
