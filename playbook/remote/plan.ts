// From a task's connection variables to the hops that reach its target: pure, so it is tested without
// connecting. One plan per (host, user, become, settings); its key is what connections are reused by.
import type { ConnectSpec } from "../../transports/broker.ts";
import type { HostKeyPolicy } from "../../transports/ssh.ts";
import type { BecomeSpec, ModuleRequest } from "../runner.ts";
import type { DirectExec } from "./raw.ts";
// Registers the container and chroot methods with the Broker (the runner connects through them).
import "../../transports/containers.ts";

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

/** Container and chroot connections (transports/containers.ts), by their plugin names. */
const CONTAINER_METHODS = [
  "docker",
  "podman",
  "buildah",
  "kubectl",
  "lxc",
  "lxd",
  "jail",
  "machinectl",
  "setns",
  "chroot",
] as const;
type ContainerMethod = typeof CONTAINER_METHODS[number];

function containerMethod(name: string): ContainerMethod | undefined {
  const bare = name
    .replace(
      /^(ansible\.builtin|community\.general|community\.docker|containers\.podman|kubernetes\.core)\./,
      "",
    )
    .replace(/^mitogen_/, "");
  const m = bare === "docker_api" ? "docker" : bare;
  return (CONTAINER_METHODS as readonly string[]).includes(m) ? m as ContainerMethod : undefined;
}

export function connectionMethod(
  name: string,
): "local" | "ssh" | "ssh2" | "sudo" | "su" | "doas" | ContainerMethod {
  const container = containerMethod(name);
  if (container) return container;
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

/** `[[become_method:]become_user@]inventory_host`, Mitogen's mitogen_via syntax. */
export function parseVia(spec: string): { method?: string; user?: string; host: string } {
  const m = /^(?:(?:([^:@]+):)?([^@]+)@)?(.+)$/.exec(spec.trim());
  if (!m || !m[3]) throw new ConnectionPlanError(`mitogen_via: cannot parse ${JSON.stringify(spec)}`);
  return { method: m[1], user: m[2], host: m[3] };
}

/** Each delegating host gets one of a few local interpreters, so local actions run side by side. */
const LOCAL_LANES = 4;

function lane(host: string): number {
  let h = 2166136261;
  for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 16777619);
  return (h >>> 0) % LOCAL_LANES;
}

interface HostHops {
  hops: HopSpec[];
  python: string;
  discovered: boolean;
  direct?: DirectExec;
}

/**
 * The hops that reach one inventory host: its mitogen_via chain (each intermediary from its own
 * variables, an optional become on it), then its own connection. `chain` is the hosts seen so far.
 */
function hostHops(
  req: ModuleRequest,
  host: string,
  v: Record<string, unknown>,
  defaults: Record<string, unknown>,
  chain: string[],
): HostHops {
  const via = str(pick(v, "mitogen_via"));
  const parsed = via === undefined ? undefined : parseVia(via);
  // `-e mitogen_via=bastion` also applies to the bastion itself: naming only itself means direct.
  if (parsed && !(parsed.host === host && !parsed.user)) {
    if (chain.includes(parsed.host)) {
      throw new ConnectionPlanError(`mitogen_via loop: ${[...chain, parsed.host].join(" -> ")}`);
    }
    const viaVars = req.hostConnectionVars?.(parsed.host);
    if (!viaVars) {
      throw new ConnectionPlanError(
        `mitogen_via of ${host} names ${JSON.stringify(parsed.host)}, which is not in the inventory`,
      );
    }
    const before = hostHops(req, parsed.host, viaVars, defaults, [...chain, parsed.host]);
    const hops = before.hops;
    if (parsed.user) {
      hops.push(becomeHop(
        {
          become: true,
          method: parsed.method ?? str(pick(viaVars, "ansible_become_method")) ?? "sudo",
          user: parsed.user,
          password: str(pick(viaVars, "ansible_become_password", "ansible_become_pass")),
          flags: str(pick(viaVars, "ansible_become_flags")),
          exe: str(pick(viaVars, "ansible_become_exe")),
        },
        before.python,
        defaults,
      ));
    }
    const own = directHops(host, v, defaults);
    hops.push(...own.hops);
    return { hops, python: own.python, discovered: own.discovered };
  }
  return directHops(host, v, defaults);
}

function becomeHop(b: BecomeSpec, python: string, defaults: Record<string, unknown>): HopSpec {
  const method = connectionMethod(
    b.method === "sudo" || b.method === "su" || b.method === "doas" ? `mitogen_${b.method}` : b.method,
  );
  return {
    method,
    user: b.user || "root",
    python,
    ...(b.password !== undefined ? { password: b.password } : {}),
    ...(b.flags ? { flags: b.flags } : {}),
    ...(b.exe ? { path: b.exe } : {}),
    ...(defaults.timeout !== undefined ? { becomeTimeout: Number(defaults.timeout) } : {}),
  };
}

function directHops(
  host: string,
  v: Record<string, unknown>,
  defaults: Record<string, unknown>,
): HostHops {
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
      hostname: String(pick(v, "ansible_host", "ansible_ssh_host") ?? host),
      port: num(pick(v, "ansible_port", "ansible_ssh_port", "keyword_port") ?? defaults.port, "ansible_port"),
      username: str(
        pick(v, "ansible_user", "ansible_ssh_user", "keyword_remote_user") ?? defaults.remote_user,
      ),
      identityFile: str(
        pick(v, "ansible_ssh_private_key_file", "ansible_private_key_file") ?? defaults.private_key_file,
      ),
      password: str(
        pick(v, "ansible_ssh_pass", "ansible_ssh_password", "ansible_password") ?? defaults.password,
      ),
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
  } else if ((CONTAINER_METHODS as readonly string[]).includes(connection)) {
    hops.push({
      method: connection,
      python,
      ...containerHop(connection as ContainerMethod, host, v, defaults),
    });
  } else {
    // mitogen_sudo & co. as the connection: a local context, then the become hop.
    hops.push({ method: "local", python });
    const password = str(pick(v, "ansible_password", "ansible_become_password", "ansible_become_pass"));
    hops.push({
      method: connection,
      user: str(pick(v, "ansible_user")) ?? "root",
      python,
      ...(password !== undefined ? { password } : {}),
    });
  }
  return { hops, python, discovered, direct };
}

/**
 * A container hop's settings (transports/containers.ts ContainerSpec / SetnsSpec): the container named by
 * ansible_host or the inventory name, ansible_user inside it, the tool's path from mitogen_*_path.
 */
function containerHop(
  method: ContainerMethod,
  host: string,
  v: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const name = String(pick(v, "ansible_host", "ansible_ssh_host") ?? host);
  const username = str(
    pick(v, "ansible_user", "ansible_ssh_user", "keyword_remote_user") ?? defaults.remote_user,
  );
  const startTimeout = num(
    pick(v, "ansible_timeout", "keyword_timeout") ?? defaults.timeout,
    "ansible_timeout",
  );
  let o: Record<string, unknown>;
  switch (method) {
    case "kubectl":
      o = {
        pod: str(pick(v, "ansible_kubectl_pod")) ?? name,
        container: str(pick(v, "ansible_kubectl_container")),
        namespace: str(pick(v, "ansible_kubectl_namespace")),
        kubeconfig: str(pick(v, "ansible_kubectl_kubeconfig")),
        kubeContext: str(pick(v, "ansible_kubectl_context")),
        path: str(pick(v, "mitogen_kubectl_path", "ansible_kubectl_path")),
        args: str(pick(v, "ansible_kubectl_extra_args")),
      };
      break;
    case "setns":
      if (!["docker", "lxc", "lxd", "machinectl"].includes(String(pick(v, "mitogen_kind")))) {
        throw new ConnectionPlanError(
          `host ${host}: the setns connection needs mitogen_kind docker, lxc, lxd or machinectl, got ${
            JSON.stringify(pick(v, "mitogen_kind") ?? null)
          }`,
        );
      }
      o = {
        container: name,
        kind: str(pick(v, "mitogen_kind")),
        username,
        dockerPath: str(pick(v, "mitogen_docker_path")),
        lxcPath: str(pick(v, "mitogen_lxc_path")),
        lxcInfoPath: str(pick(v, "mitogen_lxc_info_path")),
        machinectlPath: str(pick(v, "mitogen_machinectl_path")),
      };
      break;
    default: {
      const pathVar: Record<string, string[]> = {
        docker: ["mitogen_docker_path"],
        podman: ["mitogen_podman_path", "ansible_podman_executable"],
        buildah: ["mitogen_buildah_path"],
        lxc: ["mitogen_lxc_attach_path"],
        lxd: ["mitogen_lxc_path"],
        jail: ["mitogen_jail_path", "mitogen_jexec_path"],
        machinectl: ["mitogen_machinectl_path"],
        chroot: ["mitogen_chroot_path", "ansible_chroot_exe"],
      };
      const extra = method === "docker"
        ? pick(v, "ansible_docker_extra_args")
        : method === "podman"
        ? pick(v, "ansible_podman_extra_args")
        : undefined;
      o = { container: name, username, path: str(pick(v, ...pathVar[method])), args: str(extra) };
    }
  }
  if (startTimeout !== undefined) o.startTimeout = startTimeout;
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export function planConnection(req: ModuleRequest, defaults: Record<string, unknown>): ConnectPlan {
  const own = hostHops(req, req.targetHost, req.connectionVars, defaults, [req.targetHost]);
  const { hops, python, discovered } = own;
  let direct = own.direct;
  // Local work of many hosts (local_action, delegate_to: localhost, connection: local) goes to a few
  // interpreters instead of one that would run it in turn; the same host always gets the same one.
  if (hops[0].method === "local") {
    const n = lane(req.host);
    if (n) hops[0] = { ...hops[0], lane: n };
  }
  let becomeIndex: number | undefined;
  if (req.become.become) {
    becomeIndex = hops.length;
    hops.push(becomeHop(req.become, python, defaults));
    direct = undefined;
  }
  const v = req.connectionVars;
  if (pick(v, "mitogen_mask_remote_name") !== undefined && bool(pick(v, "mitogen_mask_remote_name"))) {
    for (const h of hops) h.maskName = true;
  }
  if (defaults.remote_tmp !== undefined) { for (const h of hops) h.remoteTmp = String(defaults.remote_tmp); }
  const key = JSON.stringify([req.targetHost, hops]);
  return { key, host: req.targetHost, hops, becomeIndex, discovered, direct };
}
