// The pure translation from a host's Ansible variables, the config and the play/task keywords to the
// connection stack mito opens: a list of hops (ssh, container, become …) each with its settings.
import { createHash } from "node:crypto";
import { parseBecomeFlags, shellSplit } from "./flags.ts";

type Common = { python_path: string | null; connect_timeout: number; remote_name: string | null };
export type SshHop = {
  method: "ssh" | "ssh2";
  hostname: string;
  port: number | null;
  username: string | null;
  identity_file: string | null;
  identities_only: boolean;
  password: string | null;
  ssh_path: string;
  ssh_args: string[];
  ssh_debug_level: number | null;
  compression: boolean;
  keepalive_count: number;
  keepalive_interval: number;
  check_host_keys: "enforce" | "accept" | "ignore";
} & Common;
export type LocalHop = { method: "local" } & Common;
export type ContainerHop =
  & { method: "docker" | "podman" | "buildah" | "lxc" | "lxd" | "jail" | "machinectl" | "chroot" }
  & { container: string; username: string | null; path: string | null }
  & Common;
export type KubectlHop = {
  method: "kubectl";
  pod: string;
  kubectl_path: string | null;
  kubectl_args: string[];
} & Common;
export type SetnsHop = {
  method: "setns";
  container: string;
  kind: "docker" | "lxc" | "lxd" | "machinectl";
  username: string | null;
  docker_path: string | null;
  lxc_path: string | null;
  lxc_info_path: string | null;
  machinectl_path: string | null;
} & Common;
export type BecomeHop = {
  method: "sudo" | "su" | "doas";
  username: string;
  password: string | null;
  path: string | null;
  args: string[];
} & Common;
export type HopSpec = SshHop | LocalHop | ContainerHop | KubectlHop | SetnsHop | BecomeHop;

/** The path setting's name as Mitogen spells it, per method (docker_path, sudo_path …). */
const PATH_KEY: Record<string, string> = {
  docker: "docker_path",
  podman: "podman_path",
  buildah: "buildah_path",
  lxc: "lxc_attach_path",
  lxd: "lxc_path",
  jail: "jexec_path",
  machinectl: "machinectl_path",
  chroot: "chroot_path",
  sudo: "sudo_path",
  su: "su_path",
  doas: "doas_path",
};

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

/** A host's variables, already templated (or a callback that templates on read). */
export type HostVarLookup = (host: string) => (name: string) => unknown;

export interface StackConfig {
  remoteUser?: string;
  remotePort?: number;
  timeout?: number;
  hostKeyChecking?: boolean;
  privateKeyFile?: string;
  become?: boolean;
  becomeMethod?: string;
  becomeUser?: string;
  becomeExe?: string;
  becomeFlags?: string;
  sshArgs?: string;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  sshExecutable?: string;
  transport?: string;
}

/** Play/task keywords and command-line options (-b, -u, -c, --become-user …); unset means inherit. */
export interface StackKeywords {
  connection?: string;
  remote_user?: string;
  port?: number;
  timeout?: number;
  become?: boolean;
  become_user?: string;
  become_method?: string;
  become_flags?: string;
  become_exe?: string;
  become_password?: string;
  connection_password?: string;
  delegate_to?: string;
}

export interface StackInput {
  host: string;
  vars: HostVarLookup;
  config?: StackConfig;
  keywords?: StackKeywords;
}

const DEFAULT_SSH_ARGS = "-C -o ControlMaster=auto -o ControlPersist=60s";

/**
 * The hops to open to reach `host` (or the task's delegate) as the effective user, in order.
 * As in Ansible, localhost is `local` through its variables (the inventory's implicit localhost has
 * ansible_connection=local); a localhost listed in the inventory without it is reached over ssh.
 */
export function buildStack(input: StackInput): HopSpec[] {
  const kw = input.keywords ?? {};
  const target = kw.delegate_to ?? input.host;
  const stack = hostStack(input, target, [target]);
  const become = becomeHop(input, target, kw, input.vars(target));
  if (become) stack.push(become);
  return stack;
}

/** The connection hops of one inventory host (its via chain first), without the task's become. */
function hostStack(input: StackInput, host: string, chain: string[]): HopSpec[] {
  const v = input.vars(host);
  const via = str(v("mitogen_via"));
  const out: HopSpec[] = [];
  const m = via ? /^(?:(?:([^:@]+):)?([^@]+)@)?(.+)$/.exec(via.trim()) : null;
  // `-e mitogen_via=bastion` reaches the bastion too: a host that names only itself is reached directly.
  if (m && !(m[3] === host && !m[2])) {
    const [, method, user, viaHost] = m;
    if (chain.includes(viaHost)) {
      throw new StackError(`mitogen_via loop: ${[...chain, viaHost].join(" -> ")}`);
    }
    out.push(...hostStack(input, viaHost, [...chain, viaHost]));
    if (user) {
      const hop = becomeHop(
        input,
        viaHost,
        { become: true, become_user: user, become_method: method },
        input.vars(viaHost),
        true,
      );
      if (hop) out.push(hop);
    }
  }
  out.push(connectionHop(input, host, v));
  return out;
}

function first(v: (n: string) => unknown, ...names: string[]): unknown {
  for (const n of names) {
    const x = v(n);
    if (x !== undefined && x !== null) return x;
  }
  return undefined;
}

function str(x: unknown): string | undefined {
  return x === undefined || x === null ? undefined : String(x);
}

function num(x: unknown, what: string): number | undefined {
  if (x === undefined || x === null || x === "") return undefined;
  const n = typeof x === "number" ? x : Number(String(x).trim());
  if (!Number.isFinite(n)) throw new StackError(`${what} must be a number, got ${JSON.stringify(x)}`);
  return n;
}

function bool(x: unknown): boolean | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x === "boolean") return x;
  const s = String(x).trim().toLowerCase();
  if (["yes", "on", "1", "true", "y", "t"].includes(s)) return true;
  if (["no", "off", "0", "false", "n", "f", ""].includes(s)) return false;
  throw new StackError(`expected a boolean, got ${JSON.stringify(x)}`);
}

/** The connection plugin name normalised to a hop method. */
export function connectionMethod(name: string): HopSpec["method"] {
  const n = name.replace(/^(ansible\.builtin|community\.general|community\.docker|containers\.podman)\./, "");
  switch (n) {
    case "smart":
    case "ssh":
    case "mitogen_ssh":
      return "ssh";
    case "paramiko":
    case "paramiko_ssh":
    case "ssh2":
      return "ssh2";
    case "docker_api":
      return "docker";
  }
  const bare = n.replace(/^mitogen_/, "");
  const known = [
    "local",
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
    "sudo",
    "su",
    "doas",
  ];
  if (known.includes(bare)) return bare as HopSpec["method"];
  throw new StackError(`unknown connection type '${name}'`);
}

function connectionHop(input: StackInput, host: string, v: (n: string) => unknown): HopSpec {
  const cfg = input.config ?? {};
  const kw = input.keywords ?? {};
  const isTarget = host === (kw.delegate_to ?? input.host);
  const connName = str(v("ansible_connection")) ?? (isTarget ? kw.connection : undefined) ??
    cfg.transport ?? "ssh";
  const method = connectionMethod(connName);
  const timeout = num(first(v, "ansible_ssh_timeout", "ansible_timeout"), "ansible_timeout") ??
    (isTarget ? kw.timeout : undefined) ?? cfg.timeout ?? 10;
  const common: Common = {
    python_path: str(v("ansible_python_interpreter")) ?? null,
    connect_timeout: timeout,
    remote_name: bool(v("mitogen_mask_remote_name")) ? "mito" : null,
  };
  const address = str(first(v, "ansible_host", "ansible_ssh_host")) ?? host;
  const user = str(first(v, "ansible_user", "ansible_ssh_user")) ?? (isTarget ? kw.remote_user : undefined) ??
    cfg.remoteUser ?? null;
  switch (method) {
    case "local":
      return { method, ...common };
    case "ssh":
    case "ssh2": {
      const hkc = bool(first(v, "ansible_ssh_host_key_checking", "ansible_host_key_checking")) ??
        cfg.hostKeyChecking ?? true;
      const args = [
        ...shellSplit(str(v("ansible_ssh_args")) ?? cfg.sshArgs ?? DEFAULT_SSH_ARGS),
        ...shellSplit(str(v("ansible_ssh_common_args")) ?? cfg.sshCommonArgs ?? ""),
        ...shellSplit(str(v("ansible_ssh_extra_args")) ?? cfg.sshExtraArgs ?? ""),
      ];
      return {
        method,
        hostname: address,
        port: num(first(v, "ansible_port", "ansible_ssh_port"), "ansible_port") ??
          (isTarget ? kw.port : undefined) ?? cfg.remotePort ?? null,
        username: user,
        identity_file: str(first(v, "ansible_ssh_private_key_file", "ansible_private_key_file")) ??
          cfg.privateKeyFile ?? null,
        identities_only: false,
        password: str(first(v, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")) ??
          (isTarget ? kw.connection_password : undefined) ?? null,
        ssh_path: str(v("ansible_ssh_executable")) ?? cfg.sshExecutable ?? "ssh",
        ssh_args: args,
        ssh_debug_level: num(v("mitogen_ssh_debug_level"), "mitogen_ssh_debug_level") ?? null,
        compression: bool(v("mitogen_ssh_compression")) ?? false,
        keepalive_count: num(v("mitogen_ssh_keepalive_count"), "mitogen_ssh_keepalive_count") ?? 10,
        keepalive_interval: num(v("mitogen_ssh_keepalive_interval"), "mitogen_ssh_keepalive_interval") ?? 30,
        check_host_keys: hkc ? "enforce" : "ignore",
        ...common,
      };
    }
    case "kubectl":
      return {
        method,
        pod: address,
        kubectl_path: str(v("ansible_kubectl_path")) ?? null,
        kubectl_args: shellSplit(str(v("ansible_kubectl_extra_args")) ?? ""),
        ...common,
      };
    case "setns": {
      const kind = str(v("mitogen_kind"));
      if (kind !== "docker" && kind !== "lxc" && kind !== "lxd" && kind !== "machinectl") {
        throw new StackError(
          `host ${host}: the setns connection needs mitogen_kind docker, lxc, lxd or machinectl, got ${
            JSON.stringify(kind ?? null)
          }`,
        );
      }
      return {
        method,
        container: address,
        kind,
        username: user,
        docker_path: str(v("mitogen_docker_path")) ?? null,
        lxc_path: str(v("mitogen_lxc_path")) ?? null,
        lxc_info_path: str(v("mitogen_lxc_info_path")) ?? null,
        machinectl_path: str(v("mitogen_machinectl_path")) ?? null,
        ...common,
      };
    }
    case "sudo":
    case "su":
    case "doas": {
      // mitogen_sudo & co as a connection: the host is reached by becoming ansible_user on the
      // controller, with ansible_password as that account's password.
      const kw = { become: true, become_user: user ?? "root", become_method: method };
      return becomeHop(input, host, kw, v, true, ["ansible_password", "ansible_ssh_pass"])!;
    }
    default: {
      const pathVar = method === "lxc"
        ? "mitogen_lxc_attach_path"
        : method === "lxd"
        ? "mitogen_lxc_path"
        : `mitogen_${method}_path`;
      return { method, container: address, username: user, path: str(v(pathVar)) ?? null, ...common };
    }
  }
}

function becomeHop(
  input: StackInput,
  host: string,
  kw: StackKeywords,
  v: (n: string) => unknown,
  forced = false,
  passwordVars: string[] = [],
): BecomeHop | undefined {
  const cfg = input.config ?? {};
  const become = forced || (bool(v("ansible_become")) ?? kw.become ?? cfg.become ?? false);
  if (!become) return undefined;
  const methodName = (forced ? kw.become_method : undefined) ?? str(v("ansible_become_method")) ??
    kw.become_method ??
    cfg.becomeMethod ?? "sudo";
  const method = methodName.replace(/^(ansible\.builtin|community\.general)\./, "");
  if (method !== "sudo" && method !== "su" && method !== "doas") {
    throw new StackError(`host ${host}: become method '${methodName}' is not supported (sudo, su, doas are)`);
  }
  const username = (forced ? kw.become_user : undefined) ?? str(v("ansible_become_user")) ?? kw.become_user ??
    cfg.becomeUser ?? "root";
  const password = str(
    first(
      v,
      ...passwordVars,
      "ansible_become_password",
      "ansible_become_pass",
      `ansible_${method}_pass`,
      `ansible_${method}_password`,
    ),
  ) ??
    kw.become_password ?? null;
  const flags = str(first(v, "ansible_become_flags", `ansible_${method}_flags`)) ?? kw.become_flags ??
    cfg.becomeFlags ?? (method === "sudo" ? "-H -S -n" : "");
  const exe = str(first(v, "ansible_become_exe", `ansible_${method}_exe`)) ?? kw.become_exe ??
    cfg.becomeExe ?? null;
  const timeout = num(first(v, "ansible_timeout"), "ansible_timeout") ?? kw.timeout ?? cfg.timeout ?? 10;
  return {
    method,
    username,
    password,
    path: exe,
    args: parseBecomeFlags(method, flags, { hasPassword: password !== null }).args,
    python_path: str(v("ansible_python_interpreter")) ?? null,
    connect_timeout: timeout,
    remote_name: bool(v("mitogen_mask_remote_name")) ? "mito" : null,
  };
}

/** Settings as Mitogen names them: `path` becomes docker_path/sudo_path …, become args sudo_args. */
export function hopKwargs(hop: HopSpec, opts: { maskPasswords?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(hop)) {
    if (k === "method") continue;
    if (k === "path") out[PATH_KEY[hop.method]] = val;
    else if (k === "args") out[`${hop.method}_args`] = val;
    else if (k === "password" && opts.maskPasswords && val !== null) out[k] = "********";
    else out[k] = val;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

/** The stack in the shape of Mitogen's `mitogen_get_stack` result. */
export function describeStack(stack: HopSpec[], opts: { maskPasswords?: boolean } = { maskPasswords: true }) {
  return stack.map((hop) => ({ kwargs: hopKwargs(hop, opts), method: hop.method }));
}

/** A stable key per stack for connection reuse; passwords enter only as a digest. */
export function stackKey(stack: HopSpec[]): string {
  const parts = stack.map((hop) => {
    const kw = hopKwargs(hop);
    if (typeof kw.password === "string") {
      kw.password = createHash("sha256").update(kw.password).digest("hex").slice(0, 16);
    }
    return { kwargs: kw, method: hop.method };
  });
  return JSON.stringify(parts);
}
