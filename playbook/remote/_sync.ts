// synchronize (ansible.posix.synchronize): rsync between the "local host" (the controller, or the delegate)
// and the inventory host, over the inventory host's own ssh settings. Pure: from a ModuleRequest to the
// rsync argv and where it runs, and from rsync's output to Ansible's result. host_runner.ts runs it.
import { isAbsolute, join } from "node:path";
import process from "node:process";
import { shellQuote } from "../../transports/_ssh_argv.ts";
import { splitShellWords } from "../../transports/_ssh_args.ts";
import type { ModuleRequest, ModuleResult } from "../runner.ts";
import { findNeedle } from "./actions.ts";
import { lines } from "./_results.ts";
import { boolean, NotABooleanError } from "../py/boolean.ts";
import { ConnectionPlanError, type ConnectPlan, planConnection } from "./plan.ts";

/** Printed by rsync before every item it changed (its --out-format), so `changed` is exact. */
export const CHANGED_MARK = "<<CHANGED>>";

/**
 * Where rsync runs: `controller` spawns it here, without become; `context` runs it through the task's
 * own connection plan (the delegate, or the host itself when both paths are on it), with become when
 * `become` is set.
 */
export type SyncWhere = { kind: "controller" } | { kind: "context"; become: boolean };

export type SyncPlan =
  | { ok: true; where: SyncWhere; argv: string[]; cmd: string; password?: string }
  | { ok: false; msg: string };

export class SyncError extends Error {
  override name = "SyncError";
}

function flag(args: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null || v === "") return dflt;
  try {
    return boolean(v);
  } catch (e) {
    if (e instanceof NotABooleanError) {
      throw new SyncError(`synchronize: ${name} must be a boolean, got ${JSON.stringify(v)}`);
    }
    throw e;
  }
}

function list(v: unknown): string[] {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) return v.map(String);
  return String(v).split(",").map((s) => s.trim()).filter(Boolean);
}

function onlyLocal(plan: ConnectPlan): boolean {
  return plan.hops.length === 1 && plan.hops[0].method === "local";
}

/** rsync's own notation for a remote path: `[user@]host:path`, IPv6 addresses in brackets. */
function remotePath(host: string, user: string | undefined, path: string): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return `${user ? `${user}@` : ""}${h}:${path}`;
}

/** The command rsync's --rsync-path runs on the far side when the task has become. */
function becomeRsyncPath(req: ModuleRequest): string {
  const b = req.become;
  const user = b.user && b.user !== "root" ? b.user : undefined;
  switch (b.method) {
    case "sudo":
      return [b.exe ?? "sudo", ...(user ? ["-u", user] : []), "rsync"].map(shellQuote).join(" ");
    case "doas":
      return [b.exe ?? "doas", ...(user ? ["-u", user] : []), "rsync"].map(shellQuote).join(" ");
    default:
      throw new SyncError(
        `synchronize: become_method ${b.method} cannot wrap the remote rsync (only sudo and doas, ` +
          `without a password, can); set rsync_path instead`,
      );
  }
}

interface Endpoint {
  /** The inventory host is reached over ssh (else its paths are local to where rsync runs). */
  ssh?: {
    hostname: string;
    port?: number;
    username?: string;
    identityFile?: string;
    password?: string;
    sshPath?: string;
    sshArgs?: string | string[];
    sshCommonArgs?: string | string[];
    sshExtraArgs?: string | string[];
  };
}

/** How rsync reaches the inventory host, from that host's own connection variables. */
function endpoint(req: ModuleRequest, defaults: Record<string, unknown>, delegated: boolean): Endpoint {
  let vars = req.connectionVars;
  if (delegated) {
    const own = req.hostConnectionVars?.(req.host);
    if (!own) throw new SyncError(`synchronize: ${req.host} is not in the inventory`);
    vars = { ...own };
    // Task keywords (remote_user:, port:) apply to the inventory host, not only to the delegate.
    for (const [k, v] of Object.entries(req.connectionVars)) if (k.startsWith("keyword_")) vars[k] = v;
  }
  let plan: ConnectPlan;
  try {
    plan = planConnection(
      { ...req, targetHost: req.host, connectionVars: vars, become: { ...req.become, become: false } },
      defaults,
    );
  } catch (err) {
    if (err instanceof ConnectionPlanError) throw new SyncError(`synchronize: ${err.message}`);
    throw err;
  }
  if (onlyLocal(plan)) return {};
  const first = plan.hops[0];
  if (plan.hops.length === 1 && (first.method === "ssh" || first.method === "ssh2")) {
    const h = first as unknown as NonNullable<Endpoint["ssh"]>;
    return {
      ssh: {
        hostname: h.hostname,
        port: h.port,
        username: h.username,
        identityFile: h.identityFile,
        password: h.password,
        sshPath: h.sshPath,
        sshArgs: h.sshArgs,
        sshCommonArgs: h.sshCommonArgs,
        sshExtraArgs: h.sshExtraArgs,
      },
    };
  }
  const how = plan.hops.length > 1
    ? `through ${plan.hops.map((h) => h.method).join(" -> ")} (mitogen_via or a become connection)`
    : `over its ${first.method} connection`;
  throw new SyncError(
    `synchronize: rsync cannot reach ${req.host} ${how}; it needs ssh or local (use copy or fetch instead)`,
  );
}

function words(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : splitShellWords(v);
}

/** The --rsh command: ssh with the inventory host's key, port and ssh arguments. */
export function rshCommand(
  ssh: NonNullable<Endpoint["ssh"]>,
  o: { port?: number; privateKey?: string; verifyHost: boolean; useSshArgs: boolean; multiplex: boolean },
): string {
  const argv = [ssh.sshPath ?? "ssh"];
  if (!o.multiplex) argv.push("-S", "none");
  const key = o.privateKey ?? ssh.identityFile;
  if (key) argv.push("-i", key);
  // ssh keeps the first value of an option: these come before the user's arguments on purpose.
  if (!o.verifyHost) argv.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
  const port = o.port ?? ssh.port;
  if (port !== undefined) argv.push("-o", `Port=${port}`);
  if (o.useSshArgs) argv.push(...words(ssh.sshArgs));
  argv.push(...words(ssh.sshCommonArgs), ...words(ssh.sshExtraArgs));
  return argv.map(shellQuote).join(" ");
}

/** A local path on the controller, found as Ansible's action does (role files/, then the playbook dir). */
function controllerPath(req: ModuleRequest, path: string): string {
  if (isAbsolute(path) || path.startsWith("rsync://")) return path;
  const found = findNeedle(req.searchPath, "files", path.replace(/\/+$/, ""));
  const base = req.searchPath[req.searchPath.length - 1] ?? process.cwd();
  const abs = found ?? join(base, path);
  return path.endsWith("/") && !abs.endsWith("/") ? `${abs}/` : abs;
}

/**
 * Plans one synchronize task. `delegateTo` (optional in ModuleRequest) tells delegate_to:
 * inventory_hostname apart from no delegation; without it, a delegated task is one whose targetHost
 * differs from its host.
 */
export function planSynchronize(req: ModuleRequest, defaults: Record<string, unknown>): SyncPlan {
  try {
    return { ok: true, ...build(req, defaults) };
  } catch (err) {
    if (err instanceof SyncError) return { ok: false, msg: err.message };
    throw err;
  }
}

function build(req: ModuleRequest, defaults: Record<string, unknown>): Omit<SyncPlan & { ok: true }, "ok"> {
  const a = req.args;
  if (a.src === undefined || a.src === null || a.src === "") {
    throw new SyncError("synchronize: src is required");
  }
  if (a.dest === undefined || a.dest === null || a.dest === "") {
    throw new SyncError("synchronize: dest is required");
  }
  const mode = String(a.mode ?? "push");
  if (mode !== "push" && mode !== "pull") {
    throw new SyncError(`synchronize: mode must be push or pull, got ${JSON.stringify(a.mode)}`);
  }
  const delegateTo = req.delegateTo ?? (req.targetHost !== req.host ? req.targetHost : undefined);
  const delegated = delegateTo !== undefined;
  const selfDelegated = delegateTo === req.host;
  // rsync runs on the controller, unless the task is delegated to a host that is not local (or to the
  // inventory host itself, when that host is not local).
  let onController = true;
  if (delegated) {
    try {
      onController = onlyLocal(
        planConnection({ ...req, become: { ...req.become, become: false } }, defaults),
      );
    } catch (err) {
      if (err instanceof ConnectionPlanError) throw new SyncError(`synchronize: ${err.message}`);
      throw err;
    }
  }
  const far = selfDelegated ? {} : endpoint(req, defaults, delegated);
  if (far.ssh === undefined && delegated && !selfDelegated && !onController) {
    throw new SyncError(
      `synchronize: ${req.host} is local to the controller, which rsync on the delegate ${delegateTo} cannot reach`,
    );
  }
  // Both paths on one machine: rsync runs there with the task's become, as Ansible's action keeps it.
  // Otherwise become belongs to the far side (--rsync-path), never to the local rsync.
  const where: SyncWhere = far.ssh === undefined
    ? { kind: "context", become: req.become.become }
    : onController
    ? { kind: "controller" }
    : { kind: "context", become: false };

  const archive = flag(a, "archive", true);
  const argv = [String(req.connectionVars.ansible_rsync_path ?? "rsync"), "--delay-updates", "-F"];
  if (!flag(a, "delay_updates", true)) argv.splice(1, 1);
  if (flag(a, "compress", true)) argv.push("--compress");
  if (flag(a, "checksum", false)) argv.push("--checksum");
  if (archive) argv.push("--archive");
  for (
    const [name, opt] of [
      ["recursive", "recursive"],
      ["links", "links"],
      ["perms", "perms"],
      ["times", "times"],
      ["owner", "owner"],
      ["group", "group"],
    ] as const
  ) {
    const on = flag(a, name, archive);
    if (archive && !on) argv.push(`--no-${opt}`);
    if (!archive && on) argv.push(`--${opt}`);
  }
  if (flag(a, "dirs", false)) argv.push("--dirs");
  if (flag(a, "copy_links", false)) argv.push("--copy-links");
  if (flag(a, "existing_only", false)) argv.push("--existing");
  if (flag(a, "delete", false)) {
    if (!flag(a, "recursive", archive)) throw new SyncError("synchronize: delete requires recursive");
    argv.push("--delete-after");
  }
  if (flag(a, "partial", false)) argv.push("--partial");
  const timeout = Number(a.rsync_timeout ?? 0);
  if (!Number.isInteger(timeout) || timeout < 0) {
    throw new SyncError(
      `synchronize: rsync_timeout must be a whole number of seconds, got ${a.rsync_timeout}`,
    );
  }
  if (timeout) argv.push(`--timeout=${timeout}`);
  for (const d of list(a.link_dest)) argv.push(`--link-dest=${d}`);
  if (req.checkMode) argv.push("--dry-run");

  let src = String(a.src);
  let dest = String(a.dest);
  let password: string | undefined;
  if (far.ssh) {
    const ssh = far.ssh;
    const dp = a.dest_port === undefined || a.dest_port === null || a.dest_port === ""
      ? undefined
      : Number(a.dest_port);
    if (dp !== undefined && !Number.isInteger(dp)) {
      throw new SyncError(`synchronize: dest_port must be a port number, got ${JSON.stringify(a.dest_port)}`);
    }
    argv.push(`--rsh=${
      rshCommand(ssh, {
        port: dp,
        privateKey: a.private_key ? String(a.private_key) : undefined,
        verifyHost: flag(a, "verify_host", false),
        useSshArgs: flag(a, "use_ssh_args", false),
        multiplex: flag(a, "ssh_connection_multiplexing", false),
      })
    }`);
    const rsyncPath = a.rsync_path
      ? String(a.rsync_path)
      : req.become.become
      ? becomeRsyncPath(req)
      : undefined;
    if (rsyncPath) argv.push(`--rsync-path=${rsyncPath}`);
    const user = flag(a, "set_remote_user", true) ? ssh.username : undefined;
    const remote = (p: string) =>
      p.startsWith("rsync://") || /^[^/]*:/.test(p) ? p : remotePath(ssh.hostname, user, p);
    if (mode === "push") dest = remote(dest);
    else src = remote(src);
    if (ssh.password !== undefined) {
      if (where.kind !== "controller") {
        throw new SyncError(
          `synchronize: ${req.host} logs in with a password, which rsync on the delegate cannot be given`,
        );
      }
      password = ssh.password;
    }
  } else if (a.rsync_path) argv.push(`--rsync-path=${String(a.rsync_path)}`);
  // The local side's path, when that side is the controller, is found as Ansible's action finds it.
  if (onController) {
    if (mode === "push") src = controllerPath(req, src);
    else if (far.ssh) dest = controllerPath(req, dest);
  }
  argv.push(`--out-format=${CHANGED_MARK}%i %n%L`);
  for (const o of list(a.rsync_opts)) argv.push(o);
  argv.push(src, dest);
  return {
    where,
    argv,
    cmd: argv.map(shellQuote).join(" "),
    ...(password !== undefined ? { password } : {}),
  };
}

/** Ansible's result from rsync's exit status and output: changed when it itemized anything. */
export function syncResult(
  plan: { cmd: string },
  out: { rc: number; stdout: string; stderr: string },
  diff: boolean,
): ModuleResult {
  if (out.rc !== 0) {
    const msg = out.stderr.trim() || out.stdout.trim() || `rsync exited with status ${out.rc}`;
    return { failed: true, changed: false, msg, rc: out.rc, cmd: plan.cmd };
  }
  const changed = out.stdout.split("\n").some((l) => l.startsWith(CHANGED_MARK));
  const clean = out.stdout.replaceAll(CHANGED_MARK, "");
  const r: ModuleResult = {
    changed,
    rc: 0,
    cmd: plan.cmd,
    msg: clean,
    stdout_lines: lines(clean).filter((l) => l !== ""),
  };
  if (diff) r.diff = { prepared: clean };
  return r;
}
