// The one translation from a host's Ansible variables, the config and the play/task keywords to the
// connection stack mito opens: a list of hops (ssh, container, become …) each with its settings. `mito
// stack` and `mitogen_get_stack` show its result (describeStack); the runner connects with it
// (playbook/remote/plan.ts through connectSpec).
import { createHash } from "node:crypto";
import { defaultBecomeFlags, parseBecomeFlags, shellSplit } from "./flags.ts";
import { boolean } from "../py/boolean.ts";

/**
 * Settings nobody set are `null` when the stack is built for connecting (`defaults: "transport"`: the
 * transport then applies its own), and hold Mitogen's defaults when it is built to be shown
 * (`defaults: "mitogen"`, the default), as mitogen_get_stack shows them.
 */
type Common = { python_path: string | null; connect_timeout: number | null; remote_name: string | null };
export type SshHop = {
  method: "ssh" | "ssh2";
  hostname: string;
  port: number | null;
  username: string | null;
  identity_file: string | null;
  identities_only: boolean;
  password: string | null;
  ssh_path: string | null;
  /** ssh_args, ssh_common_args and ssh_extra_args in that order, as Ansible joins them. */
  ssh_args: string[];
  ssh_debug_level: number | null;
  compression: boolean | null;
  keepalive_count: number | null;
  keepalive_interval: number | null;
  check_host_keys: "enforce" | "accept" | "ignore";
  /** The three parts of ssh_args apart: synchronize's use_ssh_args leaves out only the first. */
  extra: { args: string[]; common_args: string[]; extra_args: string[] };
} & Common;
export type LocalHop = { method: "local" } & Common;
export type ContainerHop =
  & { method: "docker" | "podman" | "buildah" | "lxc" | "lxd" | "jail" | "machinectl" | "chroot" }
  & { container: string; username: string | null; path: string | null }
  /** ansible_docker_extra_args / ansible_podman_extra_args as written: mito's, Mitogen has none. */
  & { extra: { args: string | null } }
  & Common;
export type KubectlHop = {
  method: "kubectl";
  pod: string;
  kubectl_path: string | null;
  kubectl_args: string[];
  /** The kubectl connection's own options (ansible_kubectl_*), which Mitogen leaves to kubectl_args. */
  extra: {
    container: string | null;
    namespace: string | null;
    kubeconfig: string | null;
    context: string | null;
    /** The API server and credentials (ansible_kubectl_host, _username, _password, _token, the
     * certificates and validate_certs), each a kubectl global flag as Ansible's kubectl plugin passes it. */
    auth: KubectlAuth;
    args: string | null;
  };
} & Common;
export type KubectlAuth = {
  server: string | null;
  username: string | null;
  password: string | null;
  token: string | null;
  client_cert: string | null;
  client_key: string | null;
  ca_cert: string | null;
  validate_certs: boolean | null;
};
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
  /** become_flags as written (null: not set), which the target's become parser reads itself. */
  extra: { flags: string | null };
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

/** A host's variables, already templated (or a callback that templates on read); undefined: no such host. */
export type HostVarLookup = (host: string) => ((name: string) => unknown) | undefined;

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
  /** interpreter_python, for hosts without ansible_python_interpreter. */
  interpreterPython?: string;
  /** become_allow_same_user: become even when the become user is the login user. */
  becomeAllowSameUser?: boolean;
  /**
   * The controller's user (getpass.getuser()): the login user of a `local` connection, as Ansible compares
   * it with the become user. Unset, a local become is always kept, as Mitogen's stack shows it.
   */
  localUser?: string;
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
  /** How unset settings appear: Mitogen's defaults (to show) or null (to connect). Default "mitogen". */
  defaults?: "mitogen" | "transport";
  /**
   * The keywords' become settings are final: the executor merged ansible_become* variables, keywords and
   * config already (and synchronize turns become off for its own connection).
   */
  becomeDecided?: boolean;
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
  const become = becomeHop(input, target, kw, hostVars(input, target, [target]));
  if (become && !becomesLoginUser(input, stack.at(-1)!, become)) stack.push(become);
  return stack;
}

/**
 * Becoming the account one already logs in as is left out, as Ansible and Mitogen leave it out, unless
 * become_allow_same_user says otherwise. A `local` connection logs in as the controller's user.
 */
function becomesLoginUser(input: StackInput, hop: HopSpec, become: BecomeHop): boolean {
  if (input.config?.becomeAllowSameUser) return false;
  const login = hop.method === "local" ? input.config?.localUser : "username" in hop ? hop.username : null;
  return !!login && login === become.username;
}

/** Whether the stack's last hop is the task's become (not a connection that is a become method). */
export function endsInBecome(stack: HopSpec[]): boolean {
  const m = stack.at(-1)?.method;
  return stack.length > 1 && (m === "sudo" || m === "su" || m === "doas");
}

/** `[[become_method:]become_user@]inventory_host`, Mitogen's mitogen_via syntax. */
export function parseVia(spec: string): { method?: string; user?: string; host: string } {
  const m = /^(?:(?:([^:@]+):)?([^@]+)@)?(.+)$/.exec(spec.trim());
  if (!m || !m[3]) throw new StackError(`mitogen_via: cannot parse ${JSON.stringify(spec)}`);
  return { method: m[1], user: m[2], host: m[3] };
}

/** The connection hops of one inventory host (its via chain first), without the task's become. */
function hostStack(input: StackInput, host: string, chain: string[]): HopSpec[] {
  const v = hostVars(input, host, chain);
  const via = str(v("mitogen_via"));
  const out: HopSpec[] = [];
  const parsed = via === undefined || via === "" ? undefined : parseVia(via);
  // `-e mitogen_via=bastion` reaches the bastion too: a host that names only itself is reached directly.
  if (parsed && !(parsed.host === host && !parsed.user)) {
    const { method, user, host: viaHost } = parsed;
    if (chain.includes(viaHost)) {
      throw new StackError(`mitogen_via loop: ${[...chain, viaHost].join(" -> ")}`);
    }
    out.push(...hostStack(input, viaHost, [...chain, viaHost]));
    if (user) {
      const hop = becomeHop(
        input,
        viaHost,
        { become: true, become_user: user, become_method: method },
        hostVars(input, viaHost, [...chain, viaHost]),
        true,
      );
      if (hop) out.push(hop);
    }
  }
  out.push(connectionHop(input, host, v));
  return out;
}

/** The variables of `host`, the last of `chain` (the hosts that led to it through mitogen_via). */
function hostVars(input: StackInput, host: string, chain: string[]): (name: string) => unknown {
  const v = input.vars(host);
  if (v) return v;
  throw new StackError(
    chain.length > 1
      ? `mitogen_via of ${chain.at(-2)} names ${JSON.stringify(host)}, which is not in the inventory`
      : `${JSON.stringify(host)} is not in the inventory`,
  );
}

/** The first of `names` that is set: undefined, null and "" count as unset. */
function first(v: (n: string) => unknown, ...names: string[]): unknown {
  for (const n of names) {
    const x = v(n);
    if (x !== undefined && x !== null && x !== "") return x;
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

/**
 * A boolean setting as Ansible's config reads one (boolean(strict=False)): yes/on/1/true/y/t are true,
 * anything else — no/off/0/false/n/f, the empty string, or an unknown word — is false.
 */
export function settingBool(x: unknown): boolean | undefined {
  if (x === undefined || x === null) return undefined;
  return boolean(x, { strict: false });
}

/** Connection plugin names, bare or with a collection prefix, and mitogen_* names: the hop method. */
const CONNECTION_PREFIX =
  /^(ansible\.builtin|community\.general|community\.docker|containers\.podman|kubernetes\.core)\./;
/** Connection plugins mito runs as one hop each (Mitogen's mitogen_* names too). */
const CONNECTIONS = [
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
];

/** The connection plugin name normalised to a hop method. */
export function connectionMethod(name: string): HopSpec["method"] {
  const n = name.replace(CONNECTION_PREFIX, "");
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
    // become methods are connections only as Mitogen's mitogen_sudo, mitogen_su and mitogen_doas.
    case "mitogen_sudo":
    case "mitogen_su":
    case "mitogen_doas":
      return n.slice("mitogen_".length) as "sudo" | "su" | "doas";
  }
  const bare = n.replace(/^mitogen_/, "");
  if (CONNECTIONS.includes(bare)) return bare as HopSpec["method"];
  throw new StackError(`unknown connection type '${name}'`);
}

function connectionHop(input: StackInput, host: string, v: (n: string) => unknown): HopSpec {
  const cfg = input.config ?? {};
  const kw = input.keywords ?? {};
  const shown = (input.defaults ?? "mitogen") === "mitogen";
  const dflt = <T>(x: T): T | null => shown ? x : null;
  const isTarget = host === (kw.delegate_to ?? input.host);
  const connName = str(first(v, "ansible_connection")) ?? (isTarget ? kw.connection : undefined) ??
    cfg.transport ?? "ssh";
  const method = connectionMethod(connName);
  const timeout = num(first(v, "ansible_ssh_timeout", "ansible_timeout"), "ansible_timeout") ??
    (isTarget ? kw.timeout : undefined) ?? cfg.timeout ?? dflt(10);
  const common: Common = {
    python_path: str(first(v, "ansible_python_interpreter")) ?? cfg.interpreterPython ?? null,
    connect_timeout: timeout,
    remote_name: settingBool(v("mitogen_mask_remote_name")) ? "mito" : null,
  };
  const address = str(first(v, "ansible_host", "ansible_ssh_host")) ?? host;
  const user = str(first(v, "ansible_user", "ansible_ssh_user")) ?? (isTarget ? kw.remote_user : undefined) ??
    cfg.remoteUser ?? null;
  switch (method) {
    case "local":
      return { method, ...common };
    case "ssh":
    case "ssh2": {
      const hkc = settingBool(first(v, "ansible_ssh_host_key_checking", "ansible_host_key_checking")) ??
        cfg.hostKeyChecking ?? true;
      const parts = {
        args: shellSplit(str(first(v, "ansible_ssh_args")) ?? cfg.sshArgs ?? (shown ? DEFAULT_SSH_ARGS : "")),
        common_args: shellSplit(str(first(v, "ansible_ssh_common_args")) ?? cfg.sshCommonArgs ?? ""),
        extra_args: shellSplit(str(first(v, "ansible_ssh_extra_args")) ?? cfg.sshExtraArgs ?? ""),
      };
      return {
        method,
        hostname: address,
        port: num(first(v, "ansible_port", "ansible_ssh_port"), "ansible_port") ??
          (isTarget ? kw.port : undefined) ?? cfg.remotePort ?? null,
        username: user,
        identity_file: str(first(v, "ansible_ssh_private_key_file", "ansible_private_key_file")) ??
          cfg.privateKeyFile ?? null,
        identities_only: false,
        // ansible_ssh_pass beats ansible_password as in Ansible and Mitogen (mitogen_get_stack shows it).
        password: str(first(v, "ansible_ssh_pass", "ansible_ssh_password", "ansible_password")) ??
          (isTarget ? kw.connection_password : undefined) ?? null,
        ssh_path: str(first(v, "ansible_ssh_executable")) ?? cfg.sshExecutable ?? dflt("ssh"),
        ssh_args: [...parts.args, ...parts.common_args, ...parts.extra_args],
        ssh_debug_level: num(v("mitogen_ssh_debug_level"), "mitogen_ssh_debug_level") ?? null,
        compression: settingBool(v("mitogen_ssh_compression")) ?? dflt(false),
        keepalive_count: num(v("mitogen_ssh_keepalive_count"), "mitogen_ssh_keepalive_count") ?? dflt(10),
        keepalive_interval: num(v("mitogen_ssh_keepalive_interval"), "mitogen_ssh_keepalive_interval") ??
          dflt(30),
        check_host_keys: hkc ? "enforce" : "ignore",
        extra: parts,
        ...common,
      };
    }
    case "kubectl": {
      const args = str(first(v, "ansible_kubectl_extra_args")) ?? null;
      return {
        method,
        pod: str(first(v, "ansible_kubectl_pod")) ?? address,
        kubectl_path: str(first(v, "mitogen_kubectl_path", "ansible_kubectl_path")) ?? null,
        kubectl_args: shellSplit(args ?? ""),
        extra: {
          container: str(first(v, "ansible_kubectl_container")) ?? null,
          namespace: str(first(v, "ansible_kubectl_namespace")) ?? null,
          kubeconfig: str(first(v, "ansible_kubectl_kubeconfig", "ansible_kubectl_config")) ?? null,
          context: str(first(v, "ansible_kubectl_context")) ?? null,
          auth: {
            server: str(first(v, "ansible_kubectl_host", "ansible_kubectl_server")) ?? null,
            username: str(first(v, "ansible_kubectl_username", "ansible_kubectl_user")) ?? null,
            password: str(first(v, "ansible_kubectl_password")) ?? null,
            token: str(first(v, "ansible_kubectl_token", "ansible_kubectl_api_key")) ?? null,
            client_cert: str(first(v, "ansible_kubectl_cert_file", "ansible_kubectl_client_cert")) ?? null,
            client_key: str(first(v, "ansible_kubectl_key_file", "ansible_kubectl_client_key")) ?? null,
            ca_cert: str(first(v, "ansible_kubectl_ssl_ca_cert", "ansible_kubectl_ca_cert")) ?? null,
            validate_certs:
              settingBool(first(v, "ansible_kubectl_verify_ssl", "ansible_kubectl_validate_certs")) ??
                null,
          },
          args,
        },
        ...common,
      };
    }
    case "setns": {
      const kind = str(first(v, "mitogen_kind"));
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
        docker_path: str(first(v, "mitogen_docker_path")) ?? null,
        lxc_path: str(first(v, "mitogen_lxc_path")) ?? null,
        lxc_info_path: str(first(v, "mitogen_lxc_info_path")) ?? null,
        machinectl_path: str(first(v, "mitogen_machinectl_path")) ?? null,
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
    default:
      return {
        method,
        container: address,
        username: user,
        path: str(first(v, ...TOOL_PATH_VARS[method])) ?? null,
        extra: {
          args: method === "docker" || method === "podman"
            ? str(first(v, `ansible_${method}_extra_args`)) ?? null
            : null,
        },
        ...common,
      };
  }
}

/** Where each container tool's path is set: Mitogen's variable first, then the Ansible plugin's own. */
const TOOL_PATH_VARS: Record<ContainerHop["method"], string[]> = {
  docker: ["mitogen_docker_path"],
  podman: ["mitogen_podman_path", "ansible_podman_executable"],
  buildah: ["mitogen_buildah_path"],
  lxc: ["mitogen_lxc_attach_path"],
  lxd: ["mitogen_lxc_path"],
  jail: ["mitogen_jail_path", "mitogen_jexec_path"],
  machinectl: ["mitogen_machinectl_path"],
  chroot: ["mitogen_chroot_path", "ansible_chroot_exe"],
};

function becomeHop(
  input: StackInput,
  host: string,
  kw: StackKeywords,
  v: (n: string) => unknown,
  forced = false,
  passwordVars: string[] = [],
): BecomeHop | undefined {
  const cfg = input.config ?? {};
  const shown = (input.defaults ?? "mitogen") === "mitogen";
  // The task's become as the executor already merged it (variables, keywords, config): final.
  const bv = input.becomeDecided && !forced ? () => undefined : v;
  const become = forced || (settingBool(first(bv, "ansible_become")) ?? kw.become ?? cfg.become ?? false);
  if (!become) return undefined;
  const methodName = (forced ? kw.become_method : undefined) ?? str(first(bv, "ansible_become_method")) ??
    kw.become_method ??
    cfg.becomeMethod ?? "sudo";
  const method = methodName.replace(/^(ansible\.builtin|community\.general)\./, "");
  if (method !== "sudo" && method !== "su" && method !== "doas") {
    throw new StackError(`host ${host}: become method '${methodName}' is not supported (sudo, su, doas are)`);
  }
  const username = (forced ? kw.become_user : undefined) ?? str(first(bv, "ansible_become_user")) ??
    kw.become_user ??
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
  const flags = str(first(bv, "ansible_become_flags", `ansible_${method}_flags`)) ?? kw.become_flags ??
    cfg.becomeFlags ?? null;
  const exe = str(first(bv, "ansible_become_exe", `ansible_${method}_exe`)) ?? kw.become_exe ??
    cfg.becomeExe ?? null;
  const timeout = num(first(v, "ansible_timeout"), "ansible_timeout") ?? kw.timeout ?? cfg.timeout ??
    (shown ? 10 : null);
  // Shown as Mitogen shows them: sudo's default flags parsed as the runtime will read them.
  const shownFlags = flags ?? (shown ? defaultBecomeFlags(method) : "");
  return {
    method,
    username,
    password,
    path: exe,
    args: parseBecomeFlags(method, shownFlags, { hasPassword: password !== null }).args,
    extra: { flags },
    python_path: str(first(v, "ansible_python_interpreter")) ?? cfg.interpreterPython ?? null,
    connect_timeout: timeout,
    remote_name: settingBool(v("mitogen_mask_remote_name")) ? "mito" : null,
  };
}

/**
 * Settings as Mitogen names them: `path` becomes docker_path/sudo_path …, become args sudo_args. mito's
 * own settings (`extra`) are not Mitogen's kwargs and are left out.
 */
export function hopKwargs(hop: HopSpec, opts: { maskPasswords?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(hop)) {
    if (k === "method" || k === "extra") continue;
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

const digest = (secret: string) => createHash("sha256").update(secret).digest("hex").slice(0, 16);

/**
 * A stable key per stack for connection reuse: Mitogen's kwargs and mito's own settings (two pods of the
 * same name in two namespaces are two contexts); passwords and tokens enter only as a digest.
 */
export function stackKey(stack: HopSpec[]): string {
  const parts = stack.map((hop) => {
    const kw = hopKwargs(hop);
    if (typeof kw.password === "string") kw.password = digest(kw.password);
    let extra: unknown = "extra" in hop ? hop.extra : null;
    if (hop.method === "kubectl") {
      const { password, token } = hop.extra.auth;
      extra = {
        ...hop.extra,
        auth: {
          ...hop.extra.auth,
          password: password === null ? null : digest(password),
          token: token === null ? null : digest(token),
        },
      };
    }
    return { extra, kwargs: kw, method: hop.method };
  });
  return JSON.stringify(parts);
}
