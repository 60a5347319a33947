// One `mito run`: configuration, vault, inventory, extra vars, loading the playbooks, the callback,
// and the executor, wired together. The CLI parses flags into RunRequest and calls runPlaybooks.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import * as readline from "node:readline";
import {
  loadYamlFile,
  parseYaml,
  positionOf,
  positionOfItem,
  positionOfValue,
  YamlError,
} from "./yaml/mod.ts";
import { decryptVault, promptLine, VaultError, VaultSecrets } from "./vault/mod.ts";
import {
  LazyMapping,
  OMIT_TOKEN,
  pyStr,
  Templar,
  TemplateError,
  Undefined,
  UndefinedError,
} from "./template/mod.ts";
import { ExecutionError, MissingPlaybookError, PlaybookError } from "./errors.ts";
import { Loader } from "./loader.ts";
import { readStdinLine } from "./_stdin.ts";
import { ansibleBuiltinRuntime, findAnsibleDir } from "./remote/modules.ts";
import { ActionNames, checkModuleDefaults } from "./action_names.ts";
import { CollectionIndex, collectionRoots, sitePackageDirs } from "./collections.ts";
import { type Item, type Playbook, type Scope, shownTaskName, type Task } from "./model.ts";
import { ExtraVarsError, parseExtraVars } from "./extra_vars.ts";
import { Executor, type InventoryView, type LazyMappingLike } from "./executor.ts";
import { Display, escapeControls } from "./callbacks/display.ts";
import { AwxDisplay, AwxDisplayCallback, AwxEvents } from "./callbacks/awx_display.ts";
import { callbackName, CallbackSet, selectCallbacks } from "./callbacks/registry.ts";
import { ProfileTasksCallback } from "./callbacks/profile_tasks.ts";
import { skippedCallbackLines } from "./callbacks/_skipped.ts";
import { versionHeader } from "./_version_header.ts";
import type { Callback } from "./callbacks/types.ts";
import { type HostRunnerFactory, noConnectionRunner } from "./runner.ts";
import { LayeredVars } from "./vars.ts";
import { shouldRun, tagList, templateTags } from "./tags.ts";
import { openInventory } from "./_inventory_view.ts";
import { readSettings, type Settings } from "./_settings.ts";
import {
  ansibleCoreUses,
  controllerPython,
  missingAnsibleCore,
  pluginFolders,
  pythonPlugins,
} from "./plugins/mod.ts";
import type { Slice } from "./slice.ts";
import { JsonFileFactCache } from "./fact_cache.ts";

/** What the CLI asks for: ansible-playbook's options, already parsed. */
export interface RunRequest {
  playbooks: string[];
  inventory: string[];
  limit: string[];
  extraVars: string[];
  tags: string[];
  skipTags: string[];
  verbosity: number;
  forks?: number;
  user?: string;
  connection?: string;
  become: boolean;
  becomeMethod?: string;
  becomeUser?: string;
  check: boolean;
  diff: boolean;
  vaultPasswordFiles: string[];
  vaultIds: string[];
  askVaultPass: boolean;
  /** -k / -K: ask for the connection and become passwords before the run. */
  askPass?: boolean;
  askBecomePass?: boolean;
  /** --connection-password-file / --become-password-file: the passwords read from files instead. */
  connectionPasswordFile?: string;
  becomePasswordFile?: string;
  startAtTask?: string;
  /** --flush-cache: the fact cache forgets the facts of the inventory's hosts (--limit applies) first. */
  flushCache?: boolean;
  syntaxCheck: boolean;
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  forceHandlers: boolean;
  /** --step: ask on the terminal before each task. */
  step?: boolean;
  privateKey?: string;
  timeout?: number;
  /** --ssh-common-args / --ssh-extra-args: as ssh_common_args / ssh_extra_args (host variables win). */
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  /** -M: module directories searched before the configured library path. */
  modulePath?: string[];
  /** No live progress line on a terminal (`--no-progress`); the command line's concern. */
  noProgress?: boolean;
  /** The stdout callback's name; else ANSIBLE_STDOUT_CALLBACK / stdout_callback from the configuration. */
  output?: string;
  /** --slice K/N: only the inventory's hosts in that share (see slice.ts). */
  slice?: Slice;
  /** `mito adhoc`: a play built in memory (ansible's one-task play) instead of playbook files. */
  adhoc?: AdhocPlay;
}

/** What `ansible` runs: one play, in its output format. */
export interface AdhocPlay {
  /** The play as YAML would have given it. */
  play: Record<string, unknown>;
  /** --playbook-dir (else the working directory): where group_vars/, roles/ and relative paths are found. */
  playbookDir: string;
  /** -o: the oneline callback instead of minimal. */
  oneLine: boolean;
  /** -t DIR: each host's result as JSON in DIR/HOST. */
  tree?: string;
}

/** The name of an ad-hoc run's "playbook", as Ansible calls it. */
const ADHOC_PLAYBOOK = "__adhoc_playbook__";

export interface RunEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  stdoutIsTTY: boolean;
  columns: number;
  out?: (text: string) => void;
  err?: (text: string) => void;
  runner?: HostRunnerFactory;
  /** The program and its version ("mito run [mito 0.1.0]"): the first line of the -vv header. */
  program?: string;
  /**
   * A terminal's live progress: a callback that gets every event first, and whether the run ends with
   * the ten slowest tasks (profile_tasks' summary, unless profile_tasks is enabled anyway).
   */
  progress?: {
    callback: Callback;
    summary: boolean;
    /** Runs a question (vars_prompt, pause, --step) with the status line erased and not drawn. */
    hold<T>(ask: () => Promise<T>): Promise<T>;
  };
}

export function defaultEnvironment(): RunEnvironment {
  return {
    env: process.env,
    cwd: process.cwd(),
    home: os.homedir(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns ?? 80,
  };
}

/** The stdout callback's name without its collection (ansible.builtin.default is default). */
function shortCallbackName(name: string): string {
  return name.replace(/^ansible\.(builtin|posix)\./, "");
}

/** The stdout callback asked for: the command line's, else ANSIBLE_STDOUT_CALLBACK / stdout_callback. */
function stdoutCallbackName(req: RunRequest, settings: { stdoutCallback?: string }): string {
  return shortCallbackName(req.output ?? settings.stdoutCallback ?? "default");
}

const VERSION = { full: "2.14.18", major: 2, minor: 14, revision: 18, string: "2.14.18" };

/** Runs the playbooks and returns ansible-playbook's exit code; errors are printed as "ERROR! ...". */
export async function runPlaybooks(
  req: RunRequest,
  envIn: RunEnvironment = defaultEnvironment(),
): Promise<number> {
  const settings = readSettings({ env: envIn.env, cwd: envIn.cwd, home: envIn.home });
  const colour = settings.forceColor || (envIn.stdoutIsTTY && !settings.noColor);
  const displayOpts = {
    verbosity: req.verbosity,
    color: colour,
    columns: envIn.stdoutIsTTY ? envIn.columns : 80,
    out: envIn.out,
    err: envIn.err,
  };
  // Under ansible-runner every line shown is part of an event, so the display itself is runner's.
  const awx = stdoutCallbackName(req, settings) === "awx_display"
    ? new AwxEvents({
      dataDir: envIn.env.AWX_ISOLATED_DATA_DIR || undefined,
      env: envIn.env,
      pyStr,
      out: envIn.out ?? ((t) => process.stdout.write(t)),
      err: envIn.err ?? ((t) => process.stderr.write(t)),
    })
    : undefined;
  const display = awx ? new AwxDisplay(displayOpts, awx) : new Display(displayOpts);
  const cleanup: (() => void)[] = [];
  try {
    return await runInner(req, envIn, settings, display, cleanup);
  } catch (err) {
    if (err instanceof PlaybookError || err instanceof YamlError || err instanceof VaultError) {
      display.error(describeLoadError(err));
      return err instanceof PlaybookError ? err.exitCode : err instanceof VaultError ? 1 : 4;
    }
    if (err instanceof ExecutionError || err instanceof TemplateError) {
      display.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    for (const done of cleanup) done();
  }
}

function describeLoadError(err: Error): string {
  if (err instanceof YamlError) {
    return `Syntax Error while loading YAML.\n  ${err.problem}\n\n` +
      new PlaybookError("", { file: err.file, line: err.line, column: err.column }).message.trimStart();
  }
  return err.message;
}

async function runInner(
  req: RunRequest,
  envIn: RunEnvironment,
  settings: Settings,
  display: Display,
  cleanup: (() => void)[],
): Promise<number> {
  const warn = (m: string) => display.warning(m);
  const deprecated = (msg: string, version?: string, opts?: { date?: string; collection?: string }) => {
    if (settings.deprecationWarnings) display.deprecated(msg, version, opts);
  };
  for (const w of settings.warnings) warn(w);
  // ansible-playbook's -vv header: what runs, with which configuration and runtime
  if (req.verbosity >= 2) display.display(versionHeader(envIn.program ?? "mito run", settings).join("\n"));
  if (req.verbosity >= 1) {
    display.display(
      settings.configFile
        ? `Using ${settings.configFile} as config file`
        : "No config file found; using defaults",
    );
  }
  // The playbooks are looked for first, as ansible-playbook does, and named as they were given.
  const playbookFiles = req.adhoc
    ? [path.join(path.resolve(envIn.cwd, req.adhoc.playbookDir), ADHOC_PLAYBOOK)]
    : req.playbooks.map((p) => path.resolve(envIn.cwd, p));
  if (!req.adhoc) {
    req.playbooks.forEach((given, i) => {
      if (!fs.existsSync(playbookFiles[i])) {
        throw new MissingPlaybookError(`the playbook: ${given} could not be found`);
      }
      const st = fs.statSync(playbookFiles[i]);
      if (!st.isFile() && !st.isFIFO()) {
        throw new MissingPlaybookError(`the playbook: ${given} does not appear to be a file`);
      }
    });
  }
  // -k / -K: asked before the vault password, as ansible-playbook does
  const passwords = askPasswords(req, envIn.cwd);
  const vault = VaultSecrets.fromOptions({
    passwordFiles: [...req.vaultPasswordFiles, ...(req.vaultIds.length ? [] : settings.vaultPasswordFiles)],
    vaultIds: req.vaultIds.length ? req.vaultIds : settings.vaultIds,
    askVaultPass: req.askVaultPass,
  });
  const readYaml = (file: string): unknown => {
    try {
      return loadYamlFile(file, { vault, onWarning: warn });
    } catch (err) {
      if (err instanceof YamlError || err instanceof VaultError) throw err;
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") throw new PlaybookError(`Could not find or access '${file}'`);
      throw err;
    }
  };
  // `@file` is made absolute as Ansible's option parser does: its errors name the file so
  const extraVars = parseExtraVars(
    req.extraVars.map((spec) => spec.startsWith("@") ? `@${path.resolve(envIn.cwd, spec.slice(1))}` : spec),
    {
      parseYaml: (text, source) => parseYaml(text, { file: source, vault }),
      loadYamlFile: (file) => readExtraVarsFile(file, readYaml),
    },
  );

  const firstDir = path.dirname(playbookFiles[0]);
  const playbookDirs = [...new Set(playbookFiles.map((f) => path.dirname(f)))];
  const collections = new CollectionIndex(
    collectionRoots({
      playbookDirs,
      configured: settings.collectionsPath.map((p) => path.resolve(envIn.cwd, p)),
      sitePackages: settings.collectionsScanSysPath ? sitePackageDirs() : [],
    }),
    { builtinRuntime: ansibleBuiltinRuntime(envIn.env), deprecated },
  );
  // Python filters, tests and lookups: the plugin host starts only when a template needs one
  const controllerPy = controllerPython(envIn.env);
  const python = pythonPlugins({
    collections,
    playbookDirs,
    configured: settings.pluginPaths,
    forks: req.forks ?? settings.forks,
    python: controllerPy,
    cwd: envIn.cwd,
    env: envIn.env,
    warn,
  });
  cleanup.push(() => python.host.close(), () => python.actions.close());
  // ansible-playbook's default is Jinja2's string mode (jinja2_native off): "{{ 1 + 1 }}" is the text 2.
  const templar = new Templar({
    basedir: firstDir,
    warn,
    native: settings.jinja2Native,
    plugins: python.plugins,
    ansibleManaged: settings.ansibleManaged,
    decryptVault: (text, file) => decryptVault(text, vault, file),
  });
  const staticVars = (vars: Record<string, unknown>) => new LayeredVars([vars]);
  const libraryPaths = [...(req.modulePath ?? []), ...settings.libraryPath].map((p) =>
    path.resolve(envIn.cwd, p)
  );
  const loader = new Loader({
    readYaml,
    positionOf: (node, index) =>
      Array.isArray(node) && typeof index === "number"
        ? positionOfItem(node, index)
        : typeof index === "string" && typeof node === "object" && node !== null
        ? positionOfValue(node, index)
        : typeof node === "object" && node !== null
        ? positionOf(node)
        : undefined,
    exists: (f) => fs.existsSync(f),
    isDir: (f) => fs.existsSync(f) && fs.statSync(f).isDirectory(),
    listDir: (d) => fs.readdirSync(d),
    rolesPath: settings.rolesPath.map((p) => path.resolve(envIn.cwd, p)),
    collections,
    templateStatic: (value, vars) => templar.template(value, staticVars(vars)),
    extraVars,
    deprecated,
    onRole: python.addRoleDir,
    playbookDirs,
    libraryPath: libraryPaths,
    isSymlink: (f) => fs.lstatSync(f).isSymbolicLink(),
    isActionPlugin: (name) => python.actions.find(name, name) !== undefined,
  });
  const playbooks: Playbook[] = req.adhoc
    ? [{ ...loader.playbookFromData([req.adhoc.play], playbookFiles[0]), shownAs: ADHOC_PLAYBOOK }]
    : playbookFiles.map((f, i) => ({ ...loader.loadPlaybook(f), shownAs: req.playbooks[i] }));

  // action folders: computed again only when a role brought new plugin directories
  let actionDirs: { from: number; dirs: string[] } | undefined;
  const actionNames = new ActionNames({
    collections,
    libraryDirs: () => [...loader.libraryDirs, ...libraryPaths],
    actionDirs: () => {
      if (actionDirs?.from !== loader.pluginDirs.length) {
        const configured = (settings.pluginPaths.action ?? []).map((p) => path.resolve(envIn.cwd, p));
        actionDirs = {
          from: loader.pluginDirs.length,
          dirs: pluginFolders([...loader.pluginDirs], "action_plugins", configured),
        };
      }
      return actionDirs.dirs;
    },
    ansibleDir: findAnsibleDir(envIn.env),
    ...(settings.validateActionGroupMetadata ? { warning: warn } : {}),
    io: { exists: (f) => fs.existsSync(f), listDir: (d) => fs.readdirSync(d) },
  });
  // as Ansible when it loads them: a module_defaults key naming no plugin or group stops the run here
  checkModuleDefaults(playbooks, actionNames);

  // jsonfile is the fact cache runner asks for (AWX reads a job's facts from it); memory keeps none.
  // Made before the inventory: the constructed plugin's expressions may use cached facts.
  const factCache = settings.factCaching.replace(/^ansible\.builtin\./, "") === "jsonfile" &&
      settings.factCachingConnection
    ? new JsonFileFactCache(
      path.resolve(envIn.cwd, settings.factCachingConnection),
      settings.factCachingTimeout,
      undefined,
      settings.factCachingPrefix,
    )
    : undefined;
  // A configured default inventory that does not exist (/etc/ansible/hosts) is skipped quietly, as Ansible does.
  const inventorySources = req.inventory.length
    ? req.inventory
    : settings.inventory.filter((s) => s.includes(",") || fs.existsSync(path.resolve(envIn.cwd, s)));
  const inventory: InventoryView = openInventory({
    sources: inventorySources,
    limit: req.limit,
    slice: req.slice,
    vault,
    cwd: envIn.cwd,
    playbookDirs,
    unparsedIsFailed: settings.inventoryUnparsedIsFailed,
    anyUnparsedIsFailed: settings.inventoryAnyUnparsedIsFailed,
    ...(req.adhoc ? { pattern: String(req.adhoc.play.hosts) } : {}),
    plugins: {
      enabledPlugins: settings.inventoryEnabled,
      templar,
      extraVars,
      useExtraVars: settings.inventoryUseExtraVars,
      factsOf: factCache ? (host) => factCache.load(host) : undefined,
      transformGroupChars: settings.transformInvalidGroupChars,
      patternMismatch: settings.hostPatternMismatch,
      ansiblePlugins: { python: controllerPy, basedirs: playbookDirs, flushCache: req.flushCache },
      onVerbose: (m, level) => display.verbose(m, level),
    },
    // the inventory's warnings are said once in the run, as Ansible's display says them
    warn: (m) => display.warning(m, "main"),
  });

  if (req.adhoc && !adhocHosts(req, inventory, display)) return 0;

  if (req.syntaxCheck) {
    for (const name of req.playbooks) display.display(`\nplaybook: ${name}`);
    return 0;
  }
  if (req.listHosts || req.listTasks || req.listTags) {
    listPlaybooks(req, playbooks, inventory, templar, extraVars, display);
    return 0;
  }

  const chosen = stdoutCallbackName(req, settings);
  const wanted = wantedCallbacks(req, settings);
  // awx_display shows what the callback runner found set before it (ORIGINAL_STDOUT_CALLBACK) shows.
  if (chosen === "awx_display") wanted.stdout = envIn.env.ORIGINAL_STDOUT_CALLBACK || "default";
  let callback = selectCallbacks(
    {
      display,
      check: req.check,
      diff: req.diff || settings.diffAlways,
      pyStr,
      displaySkippedHosts: settings.displaySkippedHosts,
      displayOkHosts: settings.displayOkHosts,
      showCustomStats: settings.showCustomStats,
      displayArgsToStdout: settings.displayArgsToStdout,
      env: envIn.env,
      treeDir: req.adhoc?.tree && path.resolve(envIn.cwd, req.adhoc.tree),
      resultFormat: settings.resultFormat,
      warn,
    },
    wanted,
  );
  if (envIn.progress && chosen !== "awx_display") {
    const profiled = wanted.enabled.some((n) => callbackName(n) === "profile_tasks");
    const summary = envIn.progress.summary && !profiled
      ? [new ProfileTasksCallback(display, { sortOrder: "descending", outputLimit: 10, timestamps: false })]
      : [];
    // First, so the status line is gone before the stdout callback prints the recap.
    callback = new CallbackSet([envIn.progress.callback, callback, ...summary]);
  }
  if (chosen === "awx_display" && display instanceof AwxDisplay) {
    callback = new AwxDisplayCallback(callback, display.events, {
      isImplicit: (host) => inventory.isImplicit?.(host) === true,
      diff: req.diff || settings.diffAlways,
      displayArgs: settings.displayArgsToStdout ? { pyStr } : undefined,
    });
  }

  // Python plugins that need ansible-core, with a controller Python that lacks it: said once, before any play
  const needCore = ansibleCoreUses(playbooks, python.plugins, python.actions);
  if (needCore.length && !python.host.info().ansible) {
    throw new ExecutionError(missingAnsibleCore(needCore, controllerPy));
  }

  if (req.flushCache && factCache) { for (const host of inventory.select("all")) factCache.forget(host); }
  const forks = req.forks ?? settings.forks;
  const runnerFactory = envIn.runner ?? noConnectionRunner;
  const connectionDefaults: Record<string, unknown> = { ...settings.connectionDefaults };
  if (req.user) connectionDefaults.remote_user = req.user;
  if (req.connection) connectionDefaults.connection = req.connection;
  if (req.privateKey) connectionDefaults.private_key_file = req.privateKey;
  if (req.timeout !== undefined) connectionDefaults.timeout = req.timeout;
  if (req.sshCommonArgs !== undefined) connectionDefaults.ssh_common_args = req.sshCommonArgs;
  if (req.sshExtraArgs !== undefined) connectionDefaults.ssh_extra_args = req.sshExtraArgs;
  if (req.become) connectionDefaults.become = true;
  if (req.becomeMethod) connectionDefaults.become_method = req.becomeMethod;
  if (req.becomeUser) connectionDefaults.become_user = req.becomeUser;
  if (passwords.connection !== undefined) connectionDefaults.password = passwords.connection;
  if (passwords.become !== undefined) connectionDefaults.become_password = passwords.become;
  const runner = runnerFactory({
    forks,
    verbosity: req.verbosity,
    defaults: connectionDefaults,
    say: (line) => display.verbose(line, 3),
    collections,
    libraryPaths,
    moduleUtilsDirs: () => [
      ...loader.pluginDirs.map((d) => path.join(d, "module_utils")),
      ...settings.moduleUtilsPath.map((p) => path.resolve(envIn.cwd, p)),
    ],
  });

  const answers = req.step ? stdinAnswers() : undefined;
  const hold = envIn.progress?.hold;
  const executor = new Executor({
    inventory,
    templar,
    isUndefinedError: (e) => e instanceof UndefinedError,
    omitToken: OMIT_TOKEN,
    pyStr,
    lazyMapping: (get, keys, like) => new FnMapping(get, keys, like),
    deprecated,
    displayError: (msg) => display.error(msg),
    callback,
    ...(factCache ? { factCache } : {}),
    runner,
    actionPlugins: python.actions,
    actionNames,
    loader,
    readYaml,
    extraVars,
    check: req.check,
    diff: req.diff || settings.diffAlways,
    verbosity: req.verbosity,
    tags: req.tags.length ? req.tags : settings.runTags,
    skipTags: req.skipTags.length ? req.skipTags : settings.skipTags,
    anyErrorsFatal: settings.anyErrorsFatal,
    forks,
    startAtTask: req.startAtTask,
    forceHandlers: req.forceHandlers || settings.forceHandlers,
    errorOnMissingHandler: settings.errorOnMissingHandler,
    defaultStrategy: settings.strategy,
    gathering: settings.gathering,
    isTTY: envIn.stdoutIsTTY && Boolean(process.stdin.isTTY),
    prompt: hold ? (text, isPrivate) => hold(() => askOnTerminal(text, isPrivate)) : askOnTerminal,
    ...(answers
      ? {
        step: {
          ask: hold ? (text: string) => hold(() => answers.ask(text)) : answers.ask,
          banner: (text: string) => display.banner(text),
        },
      }
      : {}),
    connectionDefaults,
    ansibleVersion: VERSION,
    playbookPython: controllerPy,
    ...(settings.configFile ? { configFile: settings.configFile } : {}),
    hashMerge: settings.hashBehaviour === "merge",
    injectFactsAsVars: settings.injectFactsAsVars,
    noLog: settings.noLog,
  });
  // -vv: the callbacks ansible-playbook finds and skips as it loads its own, before the first playbook
  const callbackFolders = settings.pluginPaths.callback.map((p) => path.resolve(envIn.cwd, p));
  for (const line of skippedCallbackLines(playbookDirs, callbackFolders)) display.verbose(line, 2);
  try {
    const code = await executor.run(playbooks);
    if (executor.startAtPending !== undefined) {
      display.runError(
        `No matching task "${executor.startAtPending}" found. Note: --start-at-task can only follow static includes.`,
      );
    }
    return code;
  } finally {
    answers?.close();
  }
}

/**
 * The callbacks asked for. ansible-playbook: stdout_callback and callbacks_enabled. ansible (ad-hoc):
 * minimal, or oneline with -o, and the configured ones only with bin_ansible_callbacks; tree with -t.
 */
function wantedCallbacks(req: RunRequest, settings: Settings): { stdout: string; enabled: string[] } {
  if (!req.adhoc) {
    return { stdout: req.output ?? settings.stdoutCallback ?? "default", enabled: settings.callbacksEnabled };
  }
  const configured = settings.loadCallbackPlugins;
  const stdout = req.output ??
    (req.adhoc.oneLine
      ? "oneline"
      : configured && settings.stdoutCallback && settings.stdoutCallback !== "default"
      ? settings.stdoutCallback
      : "minimal");
  return {
    stdout,
    enabled: [...(configured ? settings.callbacksEnabled : []), ...(req.adhoc.tree ? ["tree"] : [])],
  };
}

/**
 * The hosts of an ad-hoc pattern, as ansible checks them before running: none with --limit is an error,
 * none without is a warning (the play still runs, on nobody). With --list-hosts they are printed and
 * nothing runs (false).
 */
function adhocHosts(req: RunRequest, inventory: InventoryView, display: Display): boolean {
  const pattern = String(req.adhoc!.play.hosts);
  const hosts = inventory.select(pattern);
  const empty = inventory.select("all").length === 0;
  if (!hosts.length && !empty) {
    if (req.limit.length) {
      throw new ExecutionError(
        "Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
      );
    }
    display.warning("No hosts matched, nothing to do");
  }
  if (!req.listHosts) return true;
  display.display(`  hosts (${hosts.length}):`);
  for (const h of hosts) display.display(`    ${h}`);
  return false;
}

/**
 * --ask-pass and --ask-become-pass, with Ansible's prompts: "SSH password: ", then "BECOME password: "
 * (which, after an SSH password, defaults to it when left empty). Without a terminal the answers are
 * read from stdin, as Python's getpass falls back to.
 */
function askPasswords(req: RunRequest, cwd: string): { connection?: string; become?: string } {
  const ask = (prompt: string) => process.stdin.isTTY ? promptLine(prompt) : answerFromPipe(prompt);
  const out: { connection?: string; become?: string } = {};
  if (req.connectionPasswordFile) out.connection = readPasswordFile(req.connectionPasswordFile, cwd);
  if (req.becomePasswordFile) out.become = readPasswordFile(req.becomePasswordFile, cwd);
  if (req.askPass) out.connection = ask("SSH password: ");
  if (req.askBecomePass) {
    out.become = ask(req.askPass ? "BECOME password[defaults to SSH password]: " : "BECOME password: ");
    if (req.askPass && out.become === "") out.become = out.connection;
  }
  return out;
}

/** A password file's text, stripped, as Ansible reads --connection-password-file ("-" is stdin). */
function readPasswordFile(file: string, cwd: string): string {
  const full = path.resolve(cwd, file);
  if (file !== "-" && !fs.existsSync(full)) {
    throw new ExecutionError(`The password file ${full} was not found`);
  }
  const secret = (file === "-" ? readStdinLine() : fs.readFileSync(full, "utf8")).trim();
  if (!secret) throw new ExecutionError(`Empty password was provided from file (${file})`);
  return secret;
}

/** A prompt answered from a pipe (no terminal): the line is read as it comes, and the prompt's line ended. */
function answerFromPipe(prompt: string): string {
  process.stderr.write(prompt);
  const line = readStdinLine();
  process.stderr.write("\n");
  return line;
}

/** Asks one question on the terminal (vars_prompt, pause); private answers are not echoed. */
function askOnTerminal(text: string, isPrivate: boolean): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    if (isPrivate) {
      // Show the question, then echo nothing while the answer is typed.
      const rlOut = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
      let asked = false;
      rlOut._writeToOutput = (chunk: string) => {
        if (!asked) {
          rlOut.output.write(chunk);
          asked = true;
        } else if (chunk.includes("\n")) rlOut.output.write("\n");
      };
    }
    rl.question(text, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

/** --step asked, but stdin had ended: nobody can answer, so nothing more runs. */
class StepAborted extends ExecutionError {
  constructor() {
    super("--step: no answer, stdin has ended; stopping the run");
  }
}

/**
 * --step's questions: one reader for the whole run, since several answers may arrive in one read of a
 * pipe. An ended stdin ends the run (StepAborted), as ansible-playbook's does. close() lets the process exit.
 */
function stdinAnswers(): { ask(text: string): Promise<string>; close(): void } {
  let rl: readline.Interface | undefined;
  let lines: AsyncIterator<string> | undefined;
  return {
    async ask(text: string): Promise<string> {
      process.stdout.write(escapeControls(text));
      rl ??= readline.createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
      lines ??= rl[Symbol.asyncIterator]();
      const r = await lines.next();
      if (r.done) {
        process.stdout.write("\n");
        throw new StepAborted();
      }
      return r.value;
    },
    close: () => rl?.close(),
  };
}

/** hostvars and each host's variables: read on demand, never copied. */
class FnMapping extends LazyMapping {
  #get: (k: string) => unknown;
  #keys: () => string[];
  #like: LazyMappingLike;
  constructor(get: (k: string) => unknown, keys: () => string[], like: LazyMappingLike = {}) {
    super();
    this.#get = get;
    this.#keys = keys;
    this.#like = like;
  }
  get(key: string): unknown {
    return this.#get(key);
  }
  keys(): string[] {
    return this.#keys();
  }
  override get pyClass(): string {
    return this.#like.pyClass ?? "dict";
  }
  override missing(key: string): Undefined | undefined {
    const name = this.#like.missingName?.(key);
    return name === undefined ? undefined : new Undefined(name);
  }
}

function taskTags(t: Scope): string[] {
  const out = new Set<string>();
  for (let s: Scope | undefined = t; s; s = s.parent) for (const x of tagList(s.kw.tags)) out.add(x);
  return [...out];
}

/** --list-hosts / --list-tasks / --list-tags in ansible-playbook's layout. */
function listPlaybooks(
  req: RunRequest,
  playbooks: Playbook[],
  inventory: InventoryView,
  templar: Templar,
  extraVars: Record<string, unknown>,
  display: Display,
): void {
  const only = req.tags.length ? req.tags : ["all"];
  for (const [n, pb] of playbooks.entries()) {
    display.display(`\nplaybook: ${req.playbooks[n]}`);
    pb.plays.forEach((play, i) => {
      const vars = new LayeredVars([play.vars, extraVars]);
      const pattern = String(templar.template(play.hosts, vars));
      const playTags = tagList(play.kw.tags);
      display.display(`\n  play #${i + 1} (${pattern}): ${play.name}\tTAGS: [${playTags.join(", ")}]`);
      if (req.listHosts) {
        const hosts = inventory.select(pattern);
        display.display(`    pattern: ['${pattern}']\n    hosts (${hosts.length}):`);
        for (const h of hosts) display.display(`      ${h}`);
      }
      // as Ansible filters a play's tasks: their tags templated with the play's variables
      const tasks: [Task, string[]][] = [];
      const walk = (items: Item[]) => {
        for (const it of items) {
          if (it.kind === "task") {
            if (it.implicit) continue;
            const tags = templateTags(taskTags(it), (t) => templar.template(t, vars));
            if (!shouldRun(tags, only, req.skipTags)) continue;
            // Ansible shows the task's tags as its own (now templated) and its blocks' and play's as written
            const parents = it.parent ? taskTags(it.parent) : [];
            tasks.push([it, [...new Set([...tags, ...parents])]]);
          } else walk([...it.block, ...it.rescue, ...it.always]);
        }
      };
      for (const s of play.sections) walk(s);
      if (req.listTasks) {
        display.display(`    tasks:`);
        for (const [t, tags] of tasks) {
          const shown = shownTaskName(t, t.kw.name !== undefined ? String(t.kw.name) : "");
          display.display(`      ${shown}\tTAGS: [${tags.sort().join(", ")}]`);
        }
      }
      if (req.listTags) {
        const all = new Set<string>(playTags);
        for (const [, tags] of tasks) for (const x of tags) all.add(x);
        display.display(`      TASK TAGS: [${[...all].sort().join(", ")}]`);
      }
    });
  }
}

/** A `-e @file`, refused as Ansible's loader refuses a file that is not there or is a folder. */
function readExtraVarsFile(file: string, readYaml: (file: string) => unknown): unknown {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) {
    throw new ExtraVarsError(
      `Unable to retrieve file contents\nCould not find or access '${file}' on the Ansible Controller.\n` +
        "If you are using a module and expect the file to exist on the remote, see the remote_src option",
      1,
    );
  }
  if (st.isDirectory()) {
    const errno = `[Errno 21] Is a directory: b'${file}'`;
    throw new PlaybookError(`an error occurred while trying to read the file '${file}': ${errno}. ${errno}`);
  }
  return readYaml(file);
}
