// What the container-connection tests stand on: the debootstrap roots (scripts/testenv-roots), stand-in
// container tools that record their argv and run the requested command in a chroot, and "containers"
// made of a process in its own network/UTS/pid namespaces and chroot, for setns.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { dirname, fromFileUrl, join } from "../scripts/_paths.ts";

export const PY = "/usr/bin/python3";
const REPO = dirname(dirname(fromFileUrl(import.meta.url)));

export interface Roots {
  bullseye: string;
  trixie: string;
  /** Python 3.11 with the programs Ansible's modules call (apt's python3-apt, pip, git, cron, sudo, …). */
  bookworm: string;
}

let roots: Roots | undefined;

/**
 * The Debian roots (Python 3.9, 3.13 and 3.11) that `scripts/testenv up` builds (with scripts/testenv-roots); a
 * test that needs them and finds them missing fails loudly with what to run.
 */
export function debianRoots(): Roots {
  if (roots) return roots;
  const path = (suite: string) => {
    const r = spawnSync(join(REPO, "scripts", "testenv-roots"), ["path", suite], {
      encoding: "utf8",
      timeout: 10_000,
    });
    if (r.status !== 0) {
      throw new Error(
        `this test needs the ${suite} root, which is not built: run \`scripts/testenv up\` ` +
          `(or scripts/testenv-roots up) first${r.error ? ` (${r.error})` : ""}`,
      );
    }
    return r.stdout.trim();
  };
  roots = { bullseye: path("bullseye"), trixie: path("trixie"), bookworm: path("bookworm") };
  return roots;
}

/** The root's own /etc/debian_version, trimmed. */
export function debianVersion(root: string): string {
  return readFileSync(join(root, "etc", "debian_version"), "utf8").trim();
}

/** What a stand-in knows about a container: its root (exec-like tools) or its leader pid (setns). */
export interface FakeContainer {
  root?: string;
  pid?: number;
}

// One program answering as docker, podman, buildah, kubectl, lxc-attach, lxc, jexec, lxc-info, machinectl
// (by its name). It appends its argv to argv.log, insists on exactly the command line shape each tool
// takes (any surprise exits 2 naming it), then runs the command with chroot into the container's root.
const STAND_IN = String.raw`#!/usr/bin/python3
import json, os, sys
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
tool = os.path.basename(sys.argv[0])
with open(os.path.join(here, "argv.log"), "a") as f:
    f.write(json.dumps([tool] + sys.argv[1:]) + "\n")
with open(os.path.join(here, "containers.json")) as f:
    containers = json.load(f)
args = sys.argv[1:]

def die(msg, code=2):
    sys.stderr.write("%s: %s\n" % (tool, msg))
    sys.exit(code)

def take(word):
    if not args or args[0] != word:
        die("expected %r, got %r" % (word, args))
    args.pop(0)

def opt(flag):
    if args and args[0] == flag:
        args.pop(0)
        return args.pop(0)
    if args and args[0].startswith(flag + "="):
        return args.pop(0).split("=", 1)[1]
    return None

def container(name):
    if name not in containers:
        die("Error: No such container: %s" % name, 1)
    return containers[name]

def run(name, user=None, clear_env=False):
    c = container(name)
    if not args:
        die("no command")
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} if clear_env else os.environ
    if c.get("root"):
        os.execvpe("chroot", ["chroot"] + (["--userspec=" + user] if user else []) + [c["root"]] + args, env)
    os.execvpe(args[0], args, env)

def leader(name):
    pid = container(name).get("pid")
    if not pid:
        die("%s is not running" % name, 1)
    return pid

if tool in ("docker", "podman"):
    if args and args[0] == "inspect":
        take("inspect")
        if opt("--format") != "{{.State.Pid}}":
            die("unexpected inspect format")
        print(leader(args[0]))
        sys.exit(0)
    while args and args[0] != "exec":
        args.pop(0)  # global options (-H …)
    take("exec")
    take("-i")
    user = opt("-u")
    run(args.pop(0), user)
elif tool == "buildah":
    take("run")
    user = opt("--user")
    name = args.pop(0)
    take("--")
    run(name, user)
elif tool == "kubectl":
    while args and args[0] != "exec":
        args.pop(0)  # --kubeconfig, --context, -n, --user, extra args
    take("exec")
    take("-i")
    pod = args.pop(0)
    opt("-c")
    take("--")
    run(pod)
elif tool == "lxc-attach":
    take("--clear-env")
    take("-n")
    name = args.pop(0)
    take("--")
    run(name, clear_env=True)
elif tool == "lxc":
    if args and args[0] == "info":
        take("info")
        print("Name: %s\nStatus: RUNNING\nPID: %d" % (args[0], leader(args[0])))
        sys.exit(0)
    take("exec")
    take("--mode=noninteractive")
    name = args.pop(0)
    take("--")
    run(name)
elif tool == "jexec":
    user = opt("-U")
    run(args.pop(0), user)
elif tool == "lxc-info":
    take("--pid")
    take("--name")
    print("PID:          %d" % leader(args[0]))
elif tool == "machinectl":
    take("show")
    take("--property=Leader")
    print("Leader=%d" % leader(args[0]))
else:
    die("unknown stand-in")
`;

export const TOOLS = [
  "docker",
  "podman",
  "buildah",
  "kubectl",
  "lxc-attach",
  "lxc",
  "jexec",
  "lxc-info",
  "machinectl",
];

export class FakeTools {
  readonly dir: string;
  readonly bin: string;
  constructor(containers: Record<string, FakeContainer>) {
    this.dir = mkdtempSync(join(tmpdir(), "mito-fake-tools-"));
    this.bin = join(this.dir, "bin");
    mkdirSync(this.bin);
    for (const t of TOOLS) {
      writeFileSync(join(this.bin, t), STAND_IN);
      chmodSync(join(this.bin, t), 0o755);
    }
    this.set(containers);
  }

  /** PATH with the stand-ins first. */
  get path(): string {
    return `${this.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  }

  set(containers: Record<string, FakeContainer>): void {
    writeFileSync(join(this.dir, "containers.json"), JSON.stringify(containers));
  }

  /** Every argv the stand-ins were run with, in order (the tool's name first). */
  calls(): string[][] {
    let text = "";
    try {
      text = readFileSync(join(this.dir, "argv.log"), "utf8");
    } catch {
      return [];
    }
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }

  reset(): void {
    rmSync(join(this.dir, "argv.log"), { force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The part of a recorded argv before the first stage (python … -c code, or /bin/sh -c …). */
export function toolPart(argv: string[]): string[] {
  const i = argv.findIndex((a, k) => argv[k + 1] === "-c" && (a.includes("python") || a === "/bin/sh"));
  return i < 0 ? argv : argv.slice(0, i);
}

/**
 * A "container" for setns: a process in its own network namespace (`ip netns`), mount, UTS (hostname
 * `hostname`) and pid namespaces, chrooted into `root` with /proc mounted. Stopped and deleted by `stop()`.
 */
export class NamespaceContainer {
  readonly netns: string;
  #launcher: ReturnType<typeof spawn> | undefined;
  pid = 0;

  private constructor(netns: string) {
    this.netns = netns;
  }

  static async start(root: string, hostname: string): Promise<NamespaceContainer> {
    const c = new NamespaceContainer(`mito-ct-${process.pid}-${Math.floor(Math.random() * 1e6)}`);
    const add = spawnSync("ip", ["netns", "add", c.netns], { encoding: "utf8", timeout: 10_000 });
    if (add.status !== 0) throw new Error(`ip netns add ${c.netns} failed: ${add.stderr}${add.error ?? ""}`);
    try {
      // ip netns exec execs in place; unshare --fork makes the sleeping chroot the first process of the new
      // pid namespace (the container's leader), with that namespace's /proc mounted in the root, privately.
      c.#launcher = spawn("ip", [
        "netns",
        "exec",
        c.netns,
        "unshare",
        "--mount",
        `--mount-proc=${root}/proc`,
        "--uts",
        "--pid",
        "--fork",
        "/bin/sh",
        "-c",
        `hostname ${hostname} && exec chroot ${root} /bin/sleep 300`,
      ], { stdio: "ignore" });
      const parent = c.#launcher.pid!;
      const deadline = Date.now() + 10_000;
      while (!c.pid) {
        if (Date.now() > deadline) throw new Error("the namespace container did not start within 10 s");
        await new Promise((r) => setTimeout(r, 20));
        let kids: string[] = [];
        try {
          kids = readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/).filter(
            Boolean,
          );
        } catch {
          continue;
        }
        for (const k of kids) {
          try {
            if (readFileSync(`/proc/${k}/cmdline`, "utf8").startsWith("/bin/sleep\0")) c.pid = Number(k);
          } catch {
            // not there yet
          }
        }
      }
      return c;
    } catch (e) {
      await c.stop();
      throw e;
    }
  }

  /** SIGKILL (pid 1 of a namespace ignores the rest) for the leader, then its launcher; the netns goes. */
  async stop(): Promise<void> {
    if (this.pid) {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const l = this.#launcher;
    if (l && l.exitCode === null && l.signalCode === null) {
      const gone = new Promise((r) => l.once("close", r));
      try {
        process.kill(l.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    }
    spawnSync("ip", ["netns", "del", this.netns], { timeout: 10_000 });
  }
}
