// Container and chroot hops: docker, podman, buildah, kubectl, lxc (lxc-attach), lxd (lxc exec), jail (jexec),
// chroot, and setns / machinectl (joining a running container's namespaces without a tool in the data path).
// The tool's argv is built here once; the controller runs it itself (`spawn`) or a parent context runs it
// (`remote`, bootstrap/containers.py), e.g. docker on a host reached over ssh:
//   const host = await broker.connect({ method: "ssh", hostname: "web1" });
//   const app = await broker.connect({ method: "docker", container: "app", username: "www", via: host });
import { Buffer } from "node:buffer";
import { accessSync, constants } from "node:fs";
import process from "node:process";
import { deflateSync } from "node:zlib";
import { type ConnectMethod, type ConnectSpec } from "./broker.ts";
import type { FirstStage } from "./_bootstrap.ts";
import { spawnProcess } from "./_process.ts";
import { EMBEDDED } from "../bootstrap/_embedded.ts";

/** Methods whose tool runs the first stage inside the container. */
export type ToolMethod = "docker" | "podman" | "buildah" | "kubectl" | "lxc" | "lxd" | "jail" | "chroot";
export type SetnsKind = "docker" | "lxc" | "lxd" | "machinectl";

export interface ContainerSpec extends ConnectSpec {
  method: ToolMethod;
  /** The container's name (docker, podman, buildah, lxc, lxd), the jail, the chroot directory; for
   * kubectl the container inside the pod (`-c`). */
  container?: string;
  /** The user inside the container (docker/podman -u, buildah --user, jexec -U, chroot --userspec);
   * for kubectl the kubeconfig user (--user). */
  username?: string;
  /** The tool: docker_path, podman_path, lxc_attach_path (lxc), lxc_path (lxd), jexec_path, chroot_path … */
  path?: string;
  /** Extra arguments before the tool's subcommand (docker -H …, kubectl --token …): docker, podman, kubectl. */
  args?: string | string[];
  /** kubectl: the pod, namespace, kubeconfig and context. */
  pod?: string;
  namespace?: string;
  kubeconfig?: string;
  kubeContext?: string;
  /** Environment additions for the tool (DOCKER_HOST, KUBECONFIG …). */
  env?: Record<string, string>;
  /** Seconds until the first stage must have spoken (default: the spec's timeout, else 60). */
  startTimeout?: number;
}

export interface SetnsSpec extends ConnectSpec {
  method: "setns" | "machinectl";
  /** The container's name as its tool knows it. */
  container?: string;
  /** Which tool knows its leader pid; machinectl implies "machinectl". */
  kind?: SetnsKind;
  /** The user inside the container, looked up in its own /etc/passwd. */
  username?: string;
  /** machinectl: mitogen_machinectl_path. */
  path?: string;
  dockerPath?: string;
  lxcPath?: string;
  lxcInfoPath?: string;
  machinectlPath?: string;
  /** Python on the controller's machine that performs the setns when there is no via context. */
  launcherPython?: string;
  env?: Record<string, string>;
  startTimeout?: number;
}

export class ContainerSpecError extends Error {
  override name = "ContainerSpecError";
}

const DEFAULT_TOOL: Record<ToolMethod, string> = {
  docker: "docker",
  podman: "podman",
  buildah: "buildah",
  kubectl: "kubectl",
  lxc: "lxc-attach",
  lxd: "lxc",
  jail: "jexec",
  chroot: "chroot",
};

function words(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  return v.split(/\s+/).filter(Boolean);
}

function need(v: string | undefined, method: string, what: string): string {
  if (v === undefined || v === "") throw new ContainerSpecError(`the ${method} connection needs ${what}`);
  return v;
}

/** The tool's command line up to where the first stage's argv follows (pure). */
export function containerArgv(spec: ContainerSpec): string[] {
  const tool = spec.path || DEFAULT_TOOL[spec.method];
  const user = spec.username || undefined;
  switch (spec.method) {
    case "docker":
    case "podman": {
      const name = need(spec.container, spec.method, "the container's name (ansible_host)");
      return [tool, ...words(spec.args), "exec", "-i", ...(user ? ["-u", user] : []), name];
    }
    case "buildah": {
      const name = need(spec.container, spec.method, "the container's name (ansible_host)");
      return [tool, "run", ...(user ? ["--user", user] : []), name, "--"];
    }
    case "kubectl": {
      const pod = need(spec.pod, "kubectl", "the pod's name (ansible_host)");
      return [
        tool,
        ...words(spec.args),
        ...(spec.kubeconfig ? ["--kubeconfig", spec.kubeconfig] : []),
        ...(spec.kubeContext ? ["--context", spec.kubeContext] : []),
        ...(spec.namespace ? ["-n", spec.namespace] : []),
        ...(user ? ["--user", user] : []),
        "exec",
        "-i",
        pod,
        ...(spec.container ? ["-c", spec.container] : []),
        "--",
      ];
    }
    case "lxc": // classic LXC; a clean environment as lxc-attach users expect
      return [
        tool,
        "--clear-env",
        "-n",
        need(spec.container, "lxc", "the container's name (ansible_host)"),
        "--",
      ];
    case "lxd":
      return [
        tool,
        "exec",
        "--mode=noninteractive",
        need(spec.container, "lxd", "the container's name (ansible_host)"),
        "--",
      ];
    case "jail":
      return [
        tool,
        ...(user ? ["-U", user] : []),
        need(spec.container, "jail", "the jail's name (ansible_host)"),
      ];
    case "chroot":
      return [
        tool,
        ...(user ? [`--userspec=${user}`] : []),
        need(spec.container, "chroot", "the chroot directory (ansible_host)"),
      ];
    default:
      throw new ContainerSpecError(`not a container method: ${JSON.stringify((spec as ConnectSpec).method)}`);
  }
}

// chroot and jexec live in sbin, which a user's PATH often lacks (Ansible's get_bin_path looks there too).
const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** A bare tool name as PATH (then the sbin directories) finds it; unchanged when found nowhere. */
export function findTool(name: string, path: string | undefined): string {
  if (name.includes("/")) return name;
  for (const dir of [...(path ?? "").split(":").filter(Boolean), ...SBIN]) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return name;
}

function startSeconds(spec: ConnectSpec & { startTimeout?: number }): number {
  return spec.startTimeout ?? Math.ceil((spec.timeout ?? 60_000) / 1000);
}

function toolMethod(name: ToolMethod): ConnectMethod {
  return {
    spawn(spec: ConnectSpec, stage: FirstStage) {
      const s = spec as ContainerSpec;
      const [tool, ...rest] = containerArgv(s);
      const argv = [findTool(tool, s.env?.PATH ?? process.env.PATH), ...rest, ...stage.argv(s.python)];
      return Promise.resolve(spawnProcess({ argv, env: s.env }));
    },
    remote(spec: ConnectSpec) {
      const s = spec as ContainerSpec;
      const prefix = containerArgv(s);
      return {
        method: name,
        options: {
          prefix,
          python: s.python ?? "python3",
          timeout: startSeconds(s),
          ...(s.env ? { env: s.env } : {}),
        },
      };
    },
  };
}

/** The options bootstrap/containers.py's setns code reads (snake_case, as Mitogen names them). */
export function setnsOptions(spec: SetnsSpec): Record<string, unknown> {
  const kind = spec.method === "machinectl" ? "machinectl" : spec.kind;
  if (kind !== "docker" && kind !== "lxc" && kind !== "lxd" && kind !== "machinectl") {
    throw new ContainerSpecError(
      `the setns connection needs kind docker, lxc, lxd or machinectl (mitogen_kind), got ${
        JSON.stringify(kind ?? null)
      }`,
    );
  }
  const o: Record<string, unknown> = {
    kind,
    container: need(spec.container, spec.method, "the container's name (ansible_host)"),
    timeout: startSeconds(spec),
  };
  const optional: [string, string | undefined][] = [
    ["username", spec.username || undefined],
    ["docker_path", spec.dockerPath],
    ["lxc_path", spec.lxcPath],
    ["lxc_info_path", spec.lxcInfoPath],
    ["machinectl_path", spec.machinectlPath ?? (spec.method === "machinectl" ? spec.path : undefined)],
  ];
  for (const [k, v] of optional) if (v) o[k] = v;
  if (spec.env) o.env = spec.env;
  return o;
}

let launcher: string | undefined;

/** `python -c` code running bootstrap/containers.py as a program (its `launch`). */
function launcherCode(): string {
  if (launcher === undefined) {
    const source = EMBEDDED["bootstrap/containers.py"];
    if (source === undefined) {
      throw new Error("mito: bootstrap/containers.py is not embedded (run scripts/embed.ts)");
    }
    const z = Buffer.from(deflateSync(source, { level: 9 })).toString("base64");
    launcher = `import base64,zlib;exec(zlib.decompress(base64.b64decode("${z}")))`;
  }
  return launcher;
}

const setnsLike: ConnectMethod = {
  // Needs root on the controller's machine: a Python there resolves the pid, joins the namespaces and
  // runs the first stage inside on its own stdin/stdout.
  spawn(spec: ConnectSpec, stage: FirstStage) {
    const s = spec as SetnsSpec;
    const options = setnsOptions(s);
    const argv = [
      s.launcherPython ?? "/usr/bin/python3",
      "-c",
      launcherCode(),
      JSON.stringify(options),
      JSON.stringify(stage.argv(s.python)),
    ];
    return Promise.resolve(spawnProcess({ argv }));
  },
  remote(spec: ConnectSpec) {
    const s = spec as SetnsSpec;
    const options = setnsOptions(s);
    return { method: "setns", options: { ...options, python: s.python ?? "python3" } };
  },
};

export const dockerMethod: ConnectMethod = toolMethod("docker");
export const podmanMethod: ConnectMethod = toolMethod("podman");
export const buildahMethod: ConnectMethod = toolMethod("buildah");
export const kubectlMethod: ConnectMethod = toolMethod("kubectl");
export const lxcMethod: ConnectMethod = toolMethod("lxc");
export const lxdMethod: ConnectMethod = toolMethod("lxd");
export const jailMethod: ConnectMethod = toolMethod("jail");
export const chrootMethod: ConnectMethod = toolMethod("chroot");
/** setns; machinectl is setns with kind machinectl, its `path` being machinectl's. */
export const setnsConnectMethod: ConnectMethod = setnsLike;
export const machinectlMethod: ConnectMethod = setnsLike;
