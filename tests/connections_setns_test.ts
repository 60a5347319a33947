// setns and machinectl: the container's leader pid comes from its tool (stand-ins answering as docker
// inspect, lxc-info, lxc info, machinectl show), then the interpreter joins that process's namespaces and
// root. The "container" is real: a process in its own network (ip netns), UTS, pid and mount namespaces,
// chrooted into the bullseye root with /proc mounted there.
import { readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, type ConnectSpec, type Context } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { hopFailure } from "../transports/become.ts";
import { debianRoots, debianVersion, FakeTools, NamespaceContainer, PY } from "./connections_env.ts";
import { pyenvPython } from "./_pythons.ts";

const roots = debianRoots();
const HOSTNAME = "mito-ct";

async function withContainer(fn: (b: Broker, fake: FakeTools, ct: NamespaceContainer) => Promise<void>) {
  const ct = await NamespaceContainer.start(roots.bullseye, HOSTNAME);
  const fake = new FakeTools({ ct: { pid: ct.pid }, stopped: {} });
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    await fn(b, fake, ct);
  } finally {
    await b.shutdown();
    fake.remove();
    await ct.stop();
  }
}

/** Inside: every namespace is the leader's, the network one is not ours, the root is bullseye's. */
async function checkInside(ctx: Context, ct: NamespaceContainer, uid = 0): Promise<void> {
  const inside: Record<string, string> = {};
  for (const ns of ["net", "uts", "pid", "mnt"]) {
    inside[ns] = await ctx.call<string>("os", "readlink", [`/proc/self/ns/${ns}`]);
    assertEquals(inside[ns], readlinkSync(`/proc/${ct.pid}/ns/${ns}`), `${ns} namespace`);
  }
  assert(inside.net !== readlinkSync("/proc/self/ns/net"), "a network namespace of its own");
  assertEquals(ctx.info?.hostname, HOSTNAME);
  assertEquals(ctx.info?.python.slice(0, 2), [3, 9]);
  assertEquals(await ctx.call("os", "getuid"), uid);
  // In the container's pid namespace: its parent (the process that joined it) is outside, so 0.
  assertEquals(await ctx.call("os", "getpid"), ctx.info?.pid);
  assertEquals(await ctx.call("os", "getppid"), 0);
  const r = await ctx.call<Record<string, unknown>>("mito.runner", "run_module", [
    "command",
    { _raw_params: "cat /etc/debian_version" },
  ]);
  assertEquals([r.rc, r.stdout], [0, debianVersion(roots.bullseye)]);
}

const KINDS: { kind: string; tool: string; query: string[]; pathKey: string }[] = [
  {
    kind: "docker",
    tool: "docker",
    query: ["inspect", "--format", "{{.State.Pid}}", "ct"],
    pathKey: "dockerPath",
  },
  { kind: "lxc", tool: "lxc-info", query: ["--pid", "--name", "ct"], pathKey: "lxcInfoPath" },
  { kind: "lxd", tool: "lxc", query: ["info", "ct"], pathKey: "lxcPath" },
  {
    kind: "machinectl",
    tool: "machinectl",
    query: ["show", "--property=Leader", "ct"],
    pathKey: "machinectlPath",
  },
];

for (const k of KINDS) {
  Deno.test(`setns kind ${k.kind} via a context: ${k.tool} ${k.query.join(" ")}, then the namespaces`, async () => {
    await withContainer(async (b, fake, ct) => {
      const local = await b.connect({ method: "local", python: PY });
      const ctx = await b.connect({
        method: "setns",
        kind: k.kind,
        container: "ct",
        [k.pathKey]: join(fake.bin, k.tool),
        python: "/usr/bin/python3",
        via: local,
        timeout: 30_000,
      } as ConnectSpec);
      assertEquals(fake.calls(), [[k.tool, ...k.query]]);
      await checkInside(ctx, ct);
    });
  });
}

Deno.test("setns from the controller itself (no via), as a user of the container", async () => {
  await withContainer(async (b, fake, ct) => {
    const ctx = await b.connect({
      method: "setns",
      kind: "docker",
      container: "ct",
      username: "nobody",
      dockerPath: join(fake.bin, "docker"),
      launcherPython: PY,
      timeout: 30_000,
    });
    assertEquals(fake.calls(), [["docker", "inspect", "--format", "{{.State.Pid}}", "ct"]]);
    await checkInside(ctx, ct, 65534);
    // HOME and the groups come from the container's own /etc/passwd and /etc/group.
    assertEquals(await ctx.call("os", "getenv", ["HOME"]), "/nonexistent");
    assertEquals(await ctx.call("os", "getgid"), 65534);
  });
});

Deno.test("machinectl is setns of kind machinectl, from the controller and via a context", async () => {
  await withContainer(async (b, fake, ct) => {
    const path = join(fake.bin, "machinectl");
    const direct = await b.connect({ method: "machinectl", container: "ct", path, launcherPython: PY });
    await checkInside(direct, ct);
    const local = await b.connect({ method: "local", python: PY });
    const via = await b.connect({ method: "machinectl", container: "ct", path, via: local });
    await checkInside(via, ct);
    assertEquals(fake.calls().map((a) => a.join(" ")), [
      "machinectl show --property=Leader ct",
      "machinectl show --property=Leader ct",
    ]);
  });
});

Deno.test("setns: the tools found on the parent's PATH by default", async () => {
  await withContainer(async (b, fake, ct) => {
    const local = await b.connect({ method: "local", python: PY, env: { PATH: fake.path } });
    const ctx = await b.connect({ method: "setns", kind: "lxd", container: "ct", via: local });
    assertEquals(fake.calls(), [["lxc", "info", "ct"]]);
    await checkInside(ctx, ct);
  });
});

Deno.test("setns: unknown and stopped containers, a missing tool and a bad kind fail clearly", async () => {
  await withContainer(async (b, fake) => {
    const local = await b.connect({ method: "local", python: PY });
    const docker = join(fake.bin, "docker");
    const missing = await assertRejects(() =>
      b.connect({ method: "setns", kind: "docker", container: "nope", dockerPath: docker, via: local })
    );
    assertStringIncludes(missing.message, "No such container: nope");
    assertEquals(hopFailure(missing)?.kind, "not-found");
    const stopped = await assertRejects(() =>
      b.connect({ method: "setns", kind: "docker", container: "stopped", dockerPath: docker, via: local })
    );
    assertStringIncludes(stopped.message, "stopped is not running");
    const noTool = await assertRejects(() =>
      b.connect({
        method: "setns",
        kind: "lxc",
        container: "ct",
        lxcInfoPath: "/nonexistent/lxc-info",
        via: local,
      })
    );
    assertStringIncludes(noTool.message, "cannot run /nonexistent/lxc-info");
    const badKind = await assertRejects(() =>
      b.connect({ method: "setns", kind: "jail", container: "ct", via: local })
    );
    assertStringIncludes(badKind.message, "kind docker, lxc, lxd or machinectl");
    const fromController = await assertRejects(() =>
      b.connect({
        method: "setns",
        kind: "docker",
        container: "nope",
        dockerPath: docker,
        launcherPython: PY,
      })
    );
    assertStringIncludes(fromController.message, "No such container: nope");
    assert(local.alive);
  });
});

// The spawning code runs in the parent context: keep it to what Python 3.6 offers (no os.setns before
// 3.12: ctypes), and check 3.13's os.setns path too.
Deno.test({
  name: "setns and docker hops from parent contexts on python3.6 and python3.13",
  fn: async () => {
    const parentPythons = ["3.6", "3.13"].map(pyenvPython);
    await withContainer(async (b, fake, ct) => {
      fake.set({ ct: { pid: ct.pid }, web: { root: roots.trixie } });
      for (const py of parentPythons) {
        const parent = await b.connect({ method: "local", python: py, env: { PATH: fake.path } });
        assertEquals(parent.info?.python.slice(0, 2).join("."), basename(py).replace("python", ""));
        const ns = await b.connect({ method: "setns", kind: "docker", container: "ct", via: parent });
        await checkInside(ns, ct);
        const web = await b.connect({
          method: "docker",
          container: "web",
          env: { PATH: fake.path },
          via: parent,
        });
        assertEquals(web.info?.python.slice(0, 2), [3, 13]);
      }
    });
  },
});
