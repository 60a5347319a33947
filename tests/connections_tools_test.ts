// docker, podman, buildah, kubectl, lxc, lxd and jail hops, started by the controller and by a context. No
// container engine runs here, so stand-ins first on PATH record the argv mito builds and run the command
// with chroot in a Debian root: the argv is checked exactly and the interpreter really runs inside.
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker, type ConnectSpec, type Context } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { hopFailure } from "../transports/become.ts";
import { containerArgv, type ContainerSpec } from "../transports/containers.ts";
import { debianRoots, debianVersion, FakeTools, PY, toolPart } from "./connections_env.ts";

const roots = debianRoots();
const CONTAINERS = { web: { root: roots.bullseye }, app: { root: roots.trixie } };

interface Case {
  method: ContainerSpec["method"];
  spec: Record<string, unknown>;
  /** The stand-in's argv up to the first stage. */
  argv: string[];
  root: string;
  python: number[];
  uid: number;
}

const NOBODY = 65534;
const CASES: Case[] = [
  {
    method: "docker",
    spec: { container: "web", username: "nobody" },
    argv: ["docker", "exec", "-i", "-u", "nobody", "web"],
    root: roots.bullseye,
    python: [3, 9],
    uid: NOBODY,
  },
  {
    method: "podman",
    spec: { container: "app" },
    argv: ["podman", "exec", "-i", "app"],
    root: roots.trixie,
    python: [3, 13],
    uid: 0,
  },
  {
    method: "buildah",
    spec: { container: "web", username: "nobody" },
    argv: ["buildah", "run", "--user", "nobody", "web", "--"],
    root: roots.bullseye,
    python: [3, 9],
    uid: NOBODY,
  },
  {
    method: "kubectl",
    spec: { pod: "app", container: "main", namespace: "prod", args: "--request-timeout=5s" },
    argv: ["kubectl", "--request-timeout=5s", "-n", "prod", "exec", "-i", "app", "-c", "main", "--"],
    root: roots.trixie,
    python: [3, 13],
    uid: 0,
  },
  {
    method: "lxc",
    spec: { container: "web" },
    argv: ["lxc-attach", "--clear-env", "-n", "web", "--"],
    root: roots.bullseye,
    python: [3, 9],
    uid: 0,
  },
  {
    method: "lxd",
    spec: { container: "app" },
    argv: ["lxc", "exec", "--mode=noninteractive", "app", "--"],
    root: roots.trixie,
    python: [3, 13],
    uid: 0,
  },
  {
    method: "jail",
    spec: { container: "web", username: "nobody" },
    argv: ["jexec", "-U", "nobody", "web"],
    root: roots.bullseye,
    python: [3, 9],
    uid: NOBODY,
  },
];

async function withTools(fn: (b: Broker, fake: FakeTools) => Promise<void>): Promise<void> {
  const fake = new FakeTools(CONTAINERS);
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    await fn(b, fake);
  } finally {
    await b.shutdown();
    fake.remove();
  }
}

/** The context runs inside the root: its Python, its files, its user; calls and modules work. */
async function checkInside(ctx: Context, c: Case): Promise<void> {
  assertEquals(ctx.info?.python.slice(0, 2), c.python);
  assertEquals(await ctx.call("os", "getpid"), ctx.info?.pid);
  assertEquals(await ctx.call("os", "getuid"), c.uid);
  assertEquals(await ctx.call("os", "getcwd"), "/");
  const r = await ctx.call<Record<string, unknown>>("mito.runner", "run_module", [
    "command",
    { _raw_params: "cat /etc/debian_version" },
  ]);
  assertEquals([r.rc, r.stdout], [0, debianVersion(c.root)]);
}

function lastRun(fake: FakeTools, tool: string): string[] {
  const runs = fake.calls().filter((a) => a[0] === tool);
  assert(runs.length > 0, `${tool} was never run`);
  return runs[runs.length - 1];
}

for (const c of CASES) {
  Deno.test(`${c.method} from the controller: ${c.argv.join(" ")} python -c …`, async () => {
    await withTools(async (b, fake) => {
      const ctx = await b.connect({
        method: c.method,
        ...c.spec,
        python: PY,
        env: { PATH: fake.path },
        timeout: 30_000,
      } as ConnectSpec);
      const argv = lastRun(fake, c.argv[0]);
      assertEquals(toolPart(argv), c.argv);
      assertEquals(argv.slice(c.argv.length, c.argv.length + 2), [PY, "-c"]);
      await checkInside(ctx, c);
    });
  });

  Deno.test(`${c.method} via a context: the parent runs ${c.argv[0]}`, async () => {
    await withTools(async (b, fake) => {
      const local = await b.connect({ method: "local", python: PY });
      // No python given: the first stage runs `python3` as the container's PATH finds it.
      const ctx = await b.connect({
        method: c.method,
        ...c.spec,
        env: { PATH: fake.path },
        via: local,
        timeout: 30_000,
      } as ConnectSpec);
      assertEquals(ctx.parent, local);
      const argv = lastRun(fake, c.argv[0]);
      assertEquals(toolPart(argv), c.argv);
      assertEquals(argv.slice(c.argv.length, c.argv.length + 2), ["python3", "-c"]);
      await checkInside(ctx, c);
      // The child's files cross through the parent: putFile lands in the root.
      const dest = `/tmp/mito-connections-${c.method}-${Date.now()}`;
      await ctx.putFile(dest, new TextEncoder().encode("inside\n"), { mode: 0o644 });
      assertEquals(Deno.readTextFileSync(join(c.root, dest)), "inside\n");
      await ctx.call("os", "unlink", [dest]);
    });
  });
}

Deno.test("docker: the tool's path (mitogen_docker_path) and an interpreter string", async () => {
  await withTools(async (b, fake) => {
    const ctx = await b.connect({
      method: "docker",
      container: "app",
      path: join(fake.bin, "docker"),
      python: "/usr/bin/env python3",
    });
    const argv = lastRun(fake, "docker");
    assertEquals(argv.slice(0, 6), ["docker", "exec", "-i", "app", "/bin/sh", "-c"]);
    assert(argv[6].startsWith("/usr/bin/env python3 -c '"), argv[6]);
    assertEquals(ctx.info?.python.slice(0, 2), [3, 13]);
  });
});

Deno.test("docker: an unknown container fails with the tool's message, from the controller and a context", async () => {
  await withTools(async (b, fake) => {
    const spec = { method: "docker", container: "missing", env: { PATH: fake.path }, timeout: 30_000 };
    const direct = await assertRejects(() => b.connect(spec));
    assertStringIncludes(direct.message, "No such container: missing");
    const local = await b.connect({ method: "local", python: PY });
    const err = await assertRejects(() => b.connect({ ...spec, via: local }));
    assertStringIncludes(err.message, "No such container: missing");
    assertEquals(hopFailure(err)?.kind, "not-found");
    // The parent stays usable.
    assertEquals(await local.call("os", "getpid"), local.info?.pid);
  });
});

Deno.test("a missing tool is named, from the controller and a context", async () => {
  await withTools(async (b) => {
    const spec = { method: "podman", container: "app", path: "/nonexistent/podman", timeout: 30_000 };
    const direct = await assertRejects(() => b.connect(spec));
    assertStringIncludes(direct.message, "/nonexistent/podman");
    const local = await b.connect({ method: "local", python: PY });
    const err = await assertRejects(() => b.connect({ ...spec, via: local }));
    assertStringIncludes(err.message, "cannot run /nonexistent/podman");
  });
});

Deno.test("two containers behind one parent, and reuse of the same stack", async () => {
  await withTools(async (b, fake) => {
    const local = await b.connect({ method: "local", python: PY });
    const env = { PATH: fake.path };
    const web = await b.connect({ method: "docker", container: "web", env, via: local });
    const app = await b.connect({ method: "docker", container: "app", env, via: local });
    const again = await b.connect({ method: "docker", container: "web", env, via: local });
    assertEquals(again, web);
    assertEquals([web.info?.python.slice(0, 2), app.info?.python.slice(0, 2)], [[3, 9], [3, 13]]);
    assertEquals(fake.calls().filter((a) => a[0] === "docker").length, 2);
    // Both children hang off the parent context, not the controller.
    assertEquals([web.parentIds, app.parentIds], [[0, local.id], [0, local.id]]);
  });
});

Deno.test("containerArgv: every method's command line, the settings it takes, and what it needs", () => {
  const argv = (s: Record<string, unknown>) => containerArgv(s as unknown as ContainerSpec);
  assertEquals(argv({ method: "docker", container: "c", args: "-H tcp://h:2375" }), [
    "docker",
    "-H",
    "tcp://h:2375",
    "exec",
    "-i",
    "c",
  ]);
  assertEquals(argv({ method: "chroot", container: "/srv/root", username: "app" }), [
    "chroot",
    "--userspec=app",
    "/srv/root",
  ]);
  assertEquals(
    argv({
      method: "kubectl",
      pod: "p",
      kubeconfig: "/k",
      kubeContext: "ctx",
      username: "admin",
      path: "/opt/kubectl",
    }),
    ["/opt/kubectl", "--kubeconfig", "/k", "--context", "ctx", "--user", "admin", "exec", "-i", "p", "--"],
  );
  assertEquals(argv({ method: "lxd", container: "c", path: "/snap/bin/lxc" }), [
    "/snap/bin/lxc",
    "exec",
    "--mode=noninteractive",
    "c",
    "--",
  ]);
  for (const method of ["docker", "podman", "buildah", "lxc", "lxd", "jail", "chroot", "kubectl"]) {
    let message = "";
    try {
      argv({ method });
    } catch (e) {
      message = (e as Error).message;
    }
    assertStringIncludes(message, `the ${method} connection needs`);
  }
});
