// From a task's connection variables to the hops that reach its target: pure, so it is tested without
// connecting. One plan per (host, user, become, settings); its key is what connections are reused by.
import type { ConnectSpec } from "../../transports/broker.ts";
import type { HostKeyPolicy } from "../../transports/ssh.ts";
import type { ModuleRequest } from "../runner.ts";
import type { DirectExec } from "./raw.ts";

// A hop is a ConnectSpec without `via`: the runner links each hop to the context of the one before.
type HopSpec = ConnectSpec;

export interface ConnectPlan {
  key: string;
  host: string;
  hops: HopSpec[];
  /** Index of the become hop, whose failures are task failures rather than unreachable hosts. */
  becomeIndex?: number;
  /** The interpreter was found by discovery (`auto`), so its path is reported as a fact. */
  discovered: boolean;
  /** How `raw` reaches the target without Python, when no become hop is involved. */
  direct?: DirectExec;
}

export class ConnectionPlanError extends Error {
  override name = "ConnectionPlanError";
}

// Ansible's discovery, in the order it prefers on Linux: the first interpreter present wins. Run by the
// login shell, so it costs no extra round trip.
const DISCOVERY =
  '"$(command -v /usr/bin/python3 || command -v python3 || command -v /usr/libexec/platform-python' +
  ' || command -v /usr/bin/python || command -v python)"';

function pick(vars: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) {
    const v = vars[n];
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return v === undefined ? undefined : String(v);
}

function num(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    throw new ConnectionPlanError(`${what} must be a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "boolean") return v;
  return ["1", "yes", "true", "on", "y", "t"].includes(String(v).toLowerCase());
}

export function connectionMethod(name: string): "local" | "ssh" | "ssh2" | "sudo" | "su" | "doas" {
  switch (name) {
    case "local":
      return "local";
    case "ssh":
    case "smart":
      return "ssh";
    case "paramiko":
    case "paramiko_ssh":
    case "ssh2":
      return "ssh2";
    case "mitogen_sudo":
      return "sudo";
    case "mitogen_su":
      return "su";
    case "mitogen_doas":
      return "doas";
    default:
      throw new ConnectionPlanError(`connection type ${JSON.stringify(name)} is not supported by mito yet`);
  }
}

export function planConnection(req: ModuleRequest, defaults: Record<string, unknown>): ConnectPlan {
  const v = req.connectionVars;
  if (pick(v, "mitogen_via") !== undefined) {
    throw new ConnectionPlanError("mitogen_via is not supported by mito's runner yet");
  }
  const connection = connectionMethod(
    String(pick(v, "ansible_connection", "keyword_connection") ?? defaults.connection ?? "ssh"),
  );
  const interp = String(pick(v, "ansible_python_interpreter") ?? defaults.interpreter_python ?? "auto");
  const discovered = /^auto(_silent|_legacy(_silent)?)?$/.test(interp);
  const python = discovered ? DISCOVERY : interp;
  const hops: HopSpec[] = [];
  let direct: DirectExec | undefined;
  if (connection === "local") {
    hops.push({ method: "local", python });
    direct = { method: "local" };
  } else if (connection === "ssh" || connection === "ssh2") {
    const hkc = bool(
      pick(v, "ansible_host_key_checking", "ansible_ssh_host_key_checking") ?? defaults.host_key_checking,
    );
    const checkHostKeys: HostKeyPolicy = hkc === false ? "ignore" : "enforce";
    const ssh = {
      hostname: String(pick(v, "ansible_host", "ansible_ssh_host") ?? req.targetHost),
      port: num(pick(v, "ansible_port", "ansible_ssh_port", "keyword_port") ?? defaults.port, "ansible_port"),
      username: str(
        pick(v, "ansible_user", "ansible_ssh_user", "keyword_remote_user") ?? defaults.remote_user,
      ),
      identityFile: str(
        pick(v, "ansible_ssh_private_key_file", "ansible_private_key_file") ?? defaults.private_key_file,
      ),
      password: str(pick(v, "ansible_ssh_pass", "ansible_ssh_password", "ansible_password")),
      sshPath: str(pick(v, "ansible_ssh_executable")),
      sshArgs: str(pick(v, "ansible_ssh_args") ?? defaults.ssh_args),
      sshCommonArgs: str(pick(v, "ansible_ssh_common_args") ?? defaults.ssh_common_args),
      sshExtraArgs: str(pick(v, "ansible_ssh_extra_args") ?? defaults.ssh_extra_args),
      connectTimeout: num(
        pick(v, "ansible_ssh_timeout", "ansible_timeout", "keyword_timeout") ?? defaults.timeout,
        "ansible_timeout",
      ),
      compression: bool(pick(v, "mitogen_ssh_compression")),
      keepaliveInterval: num(pick(v, "mitogen_ssh_keepalive_interval"), "mitogen_ssh_keepalive_interval"),
      keepaliveCount: num(pick(v, "mitogen_ssh_keepalive_count"), "mitogen_ssh_keepalive_count"),
      debugLevel: num(pick(v, "mitogen_ssh_debug_level"), "mitogen_ssh_debug_level"),
      checkHostKeys,
    };
    for (const k of Object.keys(ssh) as (keyof typeof ssh)[]) if (ssh[k] === undefined) delete ssh[k];
    hops.push({ method: connection, python, ...ssh });
    if (connection === "ssh") direct = { method: "ssh", ssh };
  } else {
    // mitogen_sudo & co. as the connection: a local context, then the become hop.
    hops.push({ method: "local", python });
    hops.push({ method: connection, user: str(pick(v, "ansible_user")) ?? "root", python });
  }
  let becomeIndex: number | undefined;
  if (req.become.become) {
    becomeIndex = hops.length;
    const method = connectionMethod(
      req.become.method === "sudo" || req.become.method === "su" ||
        req.become.method === "doas"
        ? `mitogen_${req.become.method}`
        : req.become.method,
    );
    hops.push({
      method,
      user: req.become.user || "root",
      python,
      ...(req.become.password !== undefined ? { password: req.become.password } : {}),
      ...(req.become.flags ? { flags: req.become.flags } : {}),
      ...(req.become.exe ? { path: req.become.exe } : {}),
      ...(defaults.timeout !== undefined ? { becomeTimeout: Number(defaults.timeout) } : {}),
    });
    direct = undefined;
  }
  if (pick(v, "mitogen_mask_remote_name") !== undefined && bool(pick(v, "mitogen_mask_remote_name"))) {
    for (const h of hops) h.maskName = true;
  }
  if (defaults.remote_tmp !== undefined) { for (const h of hops) h.remoteTmp = String(defaults.remote_tmp); }
  const key = JSON.stringify([req.targetHost, hops]);
  return { key, host: req.targetHost, hops, becomeIndex, discovered, direct };
}
