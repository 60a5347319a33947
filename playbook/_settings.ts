// The settings a run needs, read from the configuration layer (ansible.cfg, ANSIBLE_* variables,
// Ansible's defaults) and shaped for the executor and the callbacks.
import { ConfigError, loadConfig } from "./config/mod.ts";
import { PlaybookError } from "./errors.ts";

export interface Settings {
  inventory: string[];
  /** inventory_unparsed_failure and inventory_any_unparsed_is_failed. */
  inventoryUnparsedIsFailed: boolean;
  inventoryAnyUnparsedIsFailed: boolean;
  /** enable_plugins, use_extra_vars, transform_invalid_group_chars: how inventory sources are read. */
  inventoryEnabled: string[];
  inventoryUseExtraVars: boolean;
  transformInvalidGroupChars: string;
  hostPatternMismatch: string;
  forks: number;
  strategy: string;
  gathering: string;
  rolesPath: string[];
  collectionsPath: string[];
  collectionsScanSysPath: boolean;
  libraryPath: string[];
  /** The configured module_utils path (ANSIBLE_MODULE_UTILS). */
  moduleUtilsPath: string[];
  /** filter_plugins, test_plugins, lookup_plugins (controller-side Python plugins). */
  pluginPaths: { filter: string[]; test: string[]; lookup: string[]; action: string[]; callback: string[] };
  stdoutCallback?: string;
  /** fact_caching and its connection (a directory for jsonfile). */
  factCaching: string;
  factCachingConnection?: string;
  factCachingTimeout: number;
  factCachingPrefix?: string;
  /** callbacks_enabled, and bin_ansible_callbacks (ad-hoc runs use the configured callbacks only then). */
  callbacksEnabled: string[];
  loadCallbackPlugins: boolean;
  /** The default and minimal callbacks' result_format and pretty_results. */
  resultFormat: { format: "json" | "yaml"; pretty?: boolean };
  noColor: boolean;
  forceColor: boolean;
  vaultPasswordFiles: string[];
  vaultIds: string[];
  forceHandlers: boolean;
  errorOnMissingHandler: boolean;
  /** no_log = True (ANSIBLE_NO_LOG): the default of every task's no_log. */
  noLog: boolean;
  anyErrorsFatal: boolean;
  hashBehaviour: string;
  /** inject_facts_as_vars: facts are top-level variables too, not only in ansible_facts. */
  injectFactsAsVars: boolean;
  displaySkippedHosts: boolean;
  displayOkHosts: boolean;
  showCustomStats: boolean;
  /** display_args_to_stdout: task banners (and runner's task_args) show the args. */
  displayArgsToStdout: boolean;
  diffAlways: boolean;
  /** deprecation_warnings: whether Ansible's deprecation warnings are shown. */
  deprecationWarnings: boolean;
  /** validate_action_group_metadata: warn about action group metadata that is not as documented. */
  validateActionGroupMetadata: boolean;
  runTags: string[];
  skipTags: string[];
  /** The file the settings came from, for -v's "Using … as config file". */
  configFile?: string;
  warnings: string[];
  /** remote_user, private_key_file, timeout, become* … as the runner's defaults. */
  /** jinja2_native: templates keep their values' types (ansible_native_concat) instead of Ansible's strings. */
  jinja2Native: boolean;
  /** ansible_managed: what a rendered template's `ansible_managed` says. */
  ansibleManaged: string;
  connectionDefaults: Record<string, unknown>;
}

/** A list setting's value as Ansible's ensure_type makes it: a string splits at commas. */
export const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === "string" && v ? v.split(",").map((s) => s.trim()) : [];

export function readSettings(
  o: { env: Record<string, string | undefined>; cwd: string; home: string },
): Settings {
  let c;
  try {
    c = loadConfig(o);
  } catch (err) {
    if (err instanceof ConfigError) throw new PlaybookError(err.message);
    throw err;
  }
  const connectionDefaults: Record<string, unknown> = {
    host_key_checking: c.hostKeyChecking,
    timeout: c.timeout,
    become: c.become,
    become_method: c.becomeMethod,
    become_user: c.becomeUser,
    become_allow_same_user: c.becomeAllowSameUser,
    remote_tmp: c.remoteTmp,
    async_dir: c.asyncDir,
    interpreter_python: c.interpreterPython,
    pipelining: c.pipelining,
    // DEFAULT_EXECUTABLE: the shell of `shell:` and of the commands an action runs, under ansible_shell_executable
    executable: c.executable,
    // FACTS_MODULES: what the gather_facts action runs (a host's ansible_facts_modules overrides it)
    facts_modules: c.factsModules,
  };
  if (c.remoteUser !== undefined) connectionDefaults.remote_user = c.remoteUser;
  if (c.remotePort !== undefined) connectionDefaults.port = c.remotePort;
  if (c.privateKeyFile !== undefined) connectionDefaults.private_key_file = c.privateKeyFile;
  if (c.becomeFlags !== undefined) connectionDefaults.become_flags = c.becomeFlags;
  if (c.sshArgs !== undefined) connectionDefaults.ssh_args = c.sshArgs;
  if (c.sshCommonArgs !== undefined) connectionDefaults.ssh_common_args = c.sshCommonArgs;
  if (c.sshExtraArgs !== undefined) connectionDefaults.ssh_extra_args = c.sshExtraArgs;
  if (c.transport !== undefined) connectionDefaults.connection = c.transport;
  if (typeof c.sshExecutable === "string") connectionDefaults.ssh_executable = c.sshExecutable;
  return {
    inventory: c.inventory,
    inventoryUnparsedIsFailed: c.inventoryUnparsedIsFailed,
    inventoryAnyUnparsedIsFailed: c.inventoryAnyUnparsedIsFailed,
    inventoryEnabled: c.inventoryEnabled,
    inventoryUseExtraVars: c.inventoryUseExtraVars,
    transformInvalidGroupChars: c.transformInvalidGroupChars,
    hostPatternMismatch: c.hostPatternMismatch,
    forks: c.forks,
    strategy: c.strategy,
    gathering: c.gathering,
    rolesPath: c.rolesPath,
    collectionsPath: c.collectionsPath,
    collectionsScanSysPath: c.collectionsScanSysPath,
    libraryPath: c.libraryPath,
    moduleUtilsPath: c.moduleUtilsPath,
    pluginPaths: {
      filter: c.filterPluginPath,
      test: c.testPluginPath,
      lookup: c.lookupPluginPath,
      action: c.actionPluginPath,
      callback: c.callbackPluginPath,
    },
    stdoutCallback: c.stdoutCallback,
    factCaching: c.factCaching,
    factCachingConnection: c.factCachingConnection,
    factCachingTimeout: c.factCachingTimeout,
    factCachingPrefix: c.factCachingPrefix,
    callbacksEnabled: c.callbacksEnabled,
    loadCallbackPlugins: c.loadCallbackPlugins,
    resultFormat: {
      format: c.callbackResultFormat === "yaml" ? "yaml" : "json",
      ...(c.callbackFormatPretty === undefined ? {} : { pretty: c.callbackFormatPretty }),
    },
    noColor: c.nocolor,
    forceColor: c.forceColor,
    vaultPasswordFiles: c.vaultPasswordFiles,
    vaultIds: list(c.vaultIdentityList),
    forceHandlers: c.forceHandlers === true,
    errorOnMissingHandler: c.errorOnMissingHandler !== false,
    noLog: c.noLog === true,
    ansibleManaged: c.ansibleManaged,
    jinja2Native: c.jinja2Native === true,
    anyErrorsFatal: c.anyErrorsFatal,
    hashBehaviour: c.hashBehaviour,
    injectFactsAsVars: c.injectFactsAsVars !== false,
    displaySkippedHosts: c.displaySkippedHosts,
    displayOkHosts: c.displayOkHosts,
    showCustomStats: c.showCustomStats === true,
    displayArgsToStdout: c.displayArgsToStdout === true,
    diffAlways: c.diffAlways === true,
    deprecationWarnings: c.deprecationWarnings !== false,
    validateActionGroupMetadata: c.validateActionGroupMetadata !== false,
    runTags: list(c.runTags),
    skipTags: list(c.skipTags),
    configFile: c.file,
    warnings: Array.isArray(c.warnings) ? c.warnings.map(String) : [],
    connectionDefaults,
  };
}
