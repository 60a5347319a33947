// The protocol end to end with local interpreters (/usr/bin/python3): calls, pipelines, child-of-child
// contexts, contexts dying mid-call, the importer, captured output and the private temp dir.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import {
  Broker,
  ConnectError,
  directoryRoot,
  type LogRecord,
  TooManyInterpretersError,
} from "../transports/broker.ts";
import { ContextGoneError } from "../core/calls.ts";
import { RemoteError } from "../core/codec.ts";
import { processState, stopped } from "./_process.ts";
import { pyenvPython } from "./_pythons.ts";

const PY = "/usr/bin/python3";

async function withBroker(
  fn: (b: Broker, logs: LogRecord[], requests: string[]) => Promise<void>,
  opts: ConstructorParameters<typeof Broker>[0] = {},
): Promise<void> {
  const logs: LogRecord[] = [];
  const requests: string[] = [];
  const b = new Broker({ onLog: (r) => logs.push(r), onModuleRequest: (_c, n) => requests.push(n), ...opts });
  try {
    await fn(b, logs, requests);
  } finally {
    await b.shutdown();
  }
}

function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("a local context answers calls, reports errors with their type and runs pipelines", async () => {
  await withBroker(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    assertEquals(await ctx.call("os", "getpid"), ctx.info!.pid);
    assertEquals(ctx.info!.python.slice(0, 2), [3, 11]);
    assertEquals(await ctx.call("os.path", "join", ["a", "b"]), "a/b");
    assertEquals(await ctx.call("builtins", "bytes", [[104, 105]]), new TextEncoder().encode("hi"));
    const err = await assertRejects(() => ctx.call("os", "stat", ["/nonexistent/x"]), RemoteError);
    assertEquals((err as RemoteError).type, "FileNotFoundError");
    assertStringIncludes((err as RemoteError).traceback, "Traceback");
    assertEquals(
      await ctx.pipeline([{ module: "os", fn: "getpid" }, {
        module: "os.path",
        fn: "basename",
        args: ["/x/y"],
      }]),
      "y",
    );
  });
});

Deno.test("a pipeline surfaces the first error and skips the calls after it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withBroker(async (b) => {
      const ctx = await b.connect({ method: "local", python: PY });
      const err = await assertRejects(() =>
        ctx.pipeline([
          { module: "os", fn: "mkdir", args: [`${dir}/first`] },
          { module: "os", fn: "rmdir", args: [`${dir}/missing`] },
          { module: "os", fn: "mkdir", args: [`${dir}/skipped`] },
          { module: "os", fn: "getpid" },
        ]), RemoteError);
      assertEquals((err as RemoteError).type, "FileNotFoundError");
      assertEquals((err as RemoteError).data, { call: "os.rmdir" });
      assertEquals(listDir(dir), ["first"]);
      assertEquals(await ctx.call("os", "getpid"), ctx.info!.pid); // the context goes on
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a call without reply runs in order; its failure arrives as a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withBroker(async (b, logs) => {
      const ctx = await b.connect({ method: "local", python: PY });
      ctx.callNoReply("os", "mkdir", [`${dir}/made`]);
      ctx.callNoReply("os", "rmdir", [`${dir}/missing`]);
      assertEquals(await ctx.call("os", "listdir", [dir]), ["made"]);
      assertEquals(logs.map((l) => [l.name, l.level]), [["mito", 30]]);
      assertStringIncludes(logs[0].message, "os.rmdir (no reply wanted) failed: FileNotFoundError");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the next context started with the same interpreter gets the first one's compiled core; " +
    "a different Python behind that name compiles the source",
  fn: async () => {
    // A Python other than the target's 3.11 plays an upgraded interpreter.
    const OTHER_PY = pyenvPython("3.13");
    const dir = await Deno.makeTempDir();
    const py = `${dir}/python3`;
    await Deno.symlink(PY, py);
    try {
      await withBroker(async (b) => {
        const first = await b.connect({ method: "local", python: py });
        await first.call("os", "getpid"); // runs after the controller's request for the compiled core
        await first.shutdown();
        const second = await b.connect({ method: "local", python: py });
        assertEquals([first.info!.bytecode, second.info!.bytecode], [false, true]);
        assertEquals(await second.call("operator", "add", [2, 3]), 5);
        await second.shutdown();
        await Deno.remove(py);
        await Deno.symlink(OTHER_PY, py);
        const other = await b.connect({ method: "local", python: py });
        const minor = Number(OTHER_PY.split("python3.")[1]);
        assertEquals([other.info!.bytecode, other.info!.python.slice(0, 2)], [false, [3, minor]]);
        assertEquals(await other.call("operator", "add", [2, 3]), 5);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("controller → local → local → local: each context is the child of the one before", async () => {
  await withBroker(async (b) => {
    const a = await b.connect({ method: "local", python: PY });
    const c1 = await b.connect({ method: "local", python: PY, via: a });
    const c2 = await b.connect({ method: "local", python: PY, via: c1 });
    assertEquals(await c1.call("os", "getppid"), a.info!.pid);
    assertEquals(await c2.call("os", "getppid"), c1.info!.pid);
    assertEquals(c2.parentIds, [0, a.id, c1.id]);
    // Same Python as the parent: started from the parent's compiled core, not from source.
    assertEquals([a.info!.bytecode, c1.info!.bytecode, c2.info!.bytecode], [false, true, true]);
    assertEquals(await c2.pipeline([{ module: "os", fn: "getpid" }]), c2.info!.pid);
    await c1.shutdown(); // stops its child first, then itself; the context above goes on
    assertEquals([a.alive, c1.alive, c2.alive], [true, false, false]);
    // The parent saw their streams end, which the kernel does a moment before a process is a zombie.
    assertEquals([await stopped(c1.info!.pid), await stopped(c2.info!.pid)], [true, true]);
  });
});

Deno.test("the same stack gives the same context; the per-parent cap evicts the least recently used idle one", async () => {
  await withBroker(async (b) => {
    const x1 = await b.connect({ method: "local", python: PY });
    const x2 = await b.connect({ method: "local", python: PY });
    assert(x1 === x2);
    assertEquals(x1.refs, 2);
    const y = await b.connect({ method: "local", python: PY, env: { MITO_T: "y" } });
    await assertRejects(
      () => b.connect({ method: "local", python: PY, env: { MITO_T: "z" } }),
      TooManyInterpretersError,
    );
    x1.release();
    x1.release();
    const z = await b.connect({ method: "local", python: PY, env: { MITO_T: "z" } });
    assert(!x1.alive);
    assert(y.alive && z.alive);
    assertEquals(b.contexts().map((c) => c.id), [y.id, z.id]);
  }, { maxInterpreters: 2 });
});

Deno.test("a context killed mid-call fails the call instead of hanging, directly and behind a hop", async () => {
  await withBroker(async (b) => {
    const a = await b.connect({ method: "local", python: PY });
    const pending = a.call("time", "sleep", [60]);
    Deno.kill(a.info!.pid, "SIGKILL");
    await assertRejects(() => pending, ContextGoneError, `context ${a.id} is gone`);
    await assertRejects(() => a.call("os", "getpid"), ContextGoneError);

    const p = await b.connect({ method: "local", python: PY });
    const c = await b.connect({ method: "local", python: PY, via: p });
    const inChild = c.call("time", "sleep", [60]);
    Deno.kill(c.info!.pid, "SIGKILL");
    await assertRejects(() => inChild, ContextGoneError, `context ${c.id} is gone`);
    assertEquals(await p.call("os", "getpid"), p.info!.pid);
  });
});

Deno.test("nothing is written under HOME or TMPDIR before the runtime starts; the temp dir is gone after shutdown", async () => {
  const home = await Deno.makeTempDir();
  const tmp = await Deno.makeTempDir();
  try {
    const requests: string[] = [];
    const b = new Broker({ onLog: () => {}, onModuleRequest: (_c, n) => requests.push(n) });
    const ctx = await b.connect({ method: "local", python: PY, env: { HOME: home, TMPDIR: tmp } });
    await ctx.call("mito.modules.ping", "__doc__.strip"); // served from the embedded bundle, in RAM
    assertEquals(requests, ["mito.modules.ping"], "one request; the package mito.modules came with it");
    assertEquals([listDir(home), listDir(tmp)], [[], []]);
    const path = await ctx.call<string>("mito.core", "get_temp_dir");
    assert(path.startsWith(`${tmp}/mito_`), path);
    assertEquals(listDir(tmp).length, 1);
    await b.shutdown();
    assertEquals([listDir(home), listDir(tmp)], [[], []]);
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the temp dir comes from remote_tmp ($vars expanded), else the first usable of TMPDIR, …, /tmp", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withBroker(async (b) => {
      const withRemote = await b.connect({
        method: "local",
        python: PY,
        remoteTmp: "$MITO_BASE/remote",
        env: { MITO_BASE: dir, TMPDIR: `${dir}/unused` },
      });
      const first = await withRemote.call<string>("mito.core", "get_temp_dir");
      assert(first.startsWith(`${dir}/remote/mito_`), first);
      assertEquals(await withRemote.call("mito.core", "get_temp_dir"), first, "one dir per interpreter");
      const unusable = await b.connect({
        method: "local",
        python: PY,
        env: { TMPDIR: "/proc/mito", TEMP: dir },
      });
      assert((await unusable.call<string>("mito.core", "get_temp_dir")).startsWith(`${dir}/mito_`));
      await withRemote.shutdown();
      assertEquals(listDir(`${dir}/remote`), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a noexec temp candidate is skipped (checked inside a private mount namespace)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/noexec`);
    await Deno.mkdir(`${dir}/ok`);
    const mountThenPython = `unshare -m --propagation private sh -c ` +
      `'mount -t tmpfs -o noexec none ${dir}/noexec && exec ${PY} "$0" "$@"'`;
    await withBroker(async (b) => {
      const ctx = await b.connect({
        method: "local",
        python: mountThenPython,
        env: { TMPDIR: `${dir}/noexec`, TEMP: `${dir}/ok` },
      });
      assertEquals(await ctx.call("os.path", "ismount", [`${dir}/noexec`]), true);
      const tmp = await ctx.call<string>("mito.core", "get_temp_dir");
      assert(tmp.startsWith(`${dir}/ok/mito_`), tmp);
      assertEquals(
        await ctx.call("os", "listdir", [`${dir}/noexec`]),
        [],
        "the rejected candidate is left clean",
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an import costs one request with related modules pushed in the same burst; hops cache for children", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/mitotestpkg`);
    await Deno.writeTextFile(`${root}/mitotestpkg/__init__.py`, "");
    await Deno.writeTextFile(`${root}/mitotestpkg/a.py`, "from mitotestpkg import b\nVALUE = b.VALUE + 1\n");
    await Deno.writeTextFile(
      `${root}/mitotestpkg/b.py`,
      "import json\nfrom . import c\nVALUE = c.VALUE * 10\n",
    );
    await Deno.writeTextFile(`${root}/mitotestpkg/c.py`, "VALUE = 4\n");
    await Deno.writeTextFile(`${root}/mitotestpkg/d.py`, "import mitotestpkg.c\nVALUE = 5\n");
    await withBroker(async (b, _logs, requests) => {
      const ctx = await b.connect({ method: "local", python: PY });
      assertEquals(await ctx.call("mitotestpkg.a", "VALUE.__int__"), 41);
      assertEquals(requests, ["mitotestpkg.a"]);
      assertEquals(await ctx.call("mitotestpkg.c", "VALUE.__int__"), 4);
      assertEquals(await ctx.call("builtins", "exec", ["import mitotestpkg.d"]), null); // imported by code
      assertEquals(requests, ["mitotestpkg.a", "mitotestpkg.d"]);
      const err = await assertRejects(() => ctx.call("mitotestpkg.nothere", "x"), RemoteError);
      assertStringIncludes(err.message, "mito: the controller does not serve mitotestpkg.nothere");
      const child = await b.connect({ method: "local", python: PY, via: ctx });
      assertEquals(await child.call("mitotestpkg.a", "VALUE.__int__"), 41);
      assertEquals(
        requests,
        ["mitotestpkg.a", "mitotestpkg.d", "mitotestpkg.nothere"],
        "the hop answered its child",
      );
    }, { roots: [directoryRoot(root, ["mitotestpkg"])] });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ansible-core's module_utils are served to an interpreter without Ansible in one request", async () => {
  const dist = "/usr/lib/python3/dist-packages";
  assert(
    Deno.statSync(`${dist}/ansible/module_utils/basic.py`).isFile,
    "ansible-core (Debian) must be installed",
  );
  // /usr/bin/python3 -I -S cannot see dist-packages, so everything Ansible must come from the controller.
  await withBroker(async (b, _logs, requests) => {
    const ctx = await b.connect({ method: "local", python: `${PY} -I -S` });
    assertEquals(
      await ctx.call("ansible.module_utils.basic", "AnsibleModule.__name__.__str__"),
      "AnsibleModule",
    );
    assertEquals(requests, ["ansible.module_utils.basic"]);
    const file = await ctx.call<string>("ansible.module_utils.basic", "__file__.__str__");
    assertEquals(file, `${dist}/ansible/module_utils/basic.py`);
  }, { roots: [directoryRoot(dist, ["ansible.module_utils"])] });
});

Deno.test("a package the target has of its own is not pushed to it; one it lacks is, ahead of the call", async () => {
  const dist = "/usr/lib/python3/dist-packages";
  assert(
    Deno.statSync(`${dist}/ansible/module_utils/basic.py`).isFile,
    "ansible-core (Debian) must be installed",
  );
  await withBroker(async (b, _logs, requests) => {
    const cached = (ctx: Awaited<ReturnType<typeof b.connect>>) =>
      ctx.call<boolean>("mito.core", "_importer.cache.__contains__", ["ansible.module_utils.basic"]);
    const own = await b.connect({ method: "local", python: PY });
    assertEquals(own.info!.local, ["ansible"]);
    own.preload(["ansible.module_utils.basic"]);
    assertEquals(await cached(own), false, "nothing was pushed");
    assertEquals(
      await own.call("ansible.module_utils.basic", "__file__.__str__"),
      `${dist}/ansible/module_utils/basic.py`,
    );
    assertEquals(requests, [], "its own copy was imported");
    // -I -S: no dist-packages, so Ansible's modules can only come from the controller.
    const bare = await b.connect({ method: "local", python: `${PY} -I -S` });
    assertEquals(bare.info!.local, []);
    bare.preload(["ansible.module_utils.basic"]);
    assertEquals(await cached(bare), true, "pushed");
    assertEquals(
      await bare.call("ansible.module_utils.basic", "AnsibleModule.__name__.__str__"),
      "AnsibleModule",
    );
    assertEquals(requests, [], "imported from what was pushed, without asking");
  }, { roots: [directoryRoot(dist, ["ansible.module_utils"])] });
});

Deno.test("a directory root serves files, symlinked files and namespace directories, and nothing that is none", () => {
  const root = Deno.makeTempDirSync({ prefix: "mito-root-" });
  try {
    Deno.mkdirSync(`${root}/pkg/sub`, { recursive: true });
    Deno.mkdirSync(`${root}/pkg/ns`);
    Deno.writeTextFileSync(`${root}/pkg/__init__.py`, "");
    Deno.writeTextFileSync(`${root}/pkg/sub/mod.py`, "X = 1\n");
    Deno.symlinkSync(`${root}/pkg/sub/mod.py`, `${root}/pkg/linked.py`);
    Deno.symlinkSync(`${root}/nowhere.py`, `${root}/pkg/dangling.py`);
    const r = directoryRoot(root, ["pkg"]);
    const text = (rel: string) => {
      const data = r.read(rel);
      return data === null ? null : new TextDecoder().decode(data);
    };
    assertEquals(text("pkg/sub/mod.py"), "X = 1\n");
    assertEquals(text("pkg/linked.py"), "X = 1\n");
    assertEquals(text("pkg/__init__.py"), "");
    for (
      const none of ["pkg/dangling.py", "pkg/sub", "pkg/missing.py", "pkg/sub/mod.py/x.py", "other/a.py"]
    ) {
      assertEquals(text(none), null, none);
    }
    assertEquals(
      ["pkg", "pkg/ns", "pkg/sub", "pkg/sub/mod.py", "pkg/linked.py", "nope"].map((p) => r.isDir!(p)),
      [
        true,
        true,
        true,
        false,
        false,
        false,
      ],
    );
    assertEquals(r.filename!("pkg/sub/mod.py"), `${root}/pkg/sub/mod.py`);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a context whose main thread is busy in a call still routes its children's messages", async () => {
  await withBroker(async (b) => {
    const parent = await b.connect({ method: "local", python: PY });
    const child = await b.connect({ method: "local", python: PY, via: parent });
    const order: string[] = [];
    const busy = parent.call("time", "sleep", [1.5]).then(() => order.push("parent's sleep"));
    await new Promise((r) => setTimeout(r, 300)); // the sleep has started: the parent's main thread is in it
    assertEquals(await child.call("os", "getppid"), parent.info!.pid);
    order.push("child's call");
    await busy;
    assertEquals(order, ["child's call", "parent's sleep"]);
  });
});

Deno.test("a shutdown that arrives right behind a burst of calls ends the context by itself", async () => {
  await withBroker(async (b) => {
    for (let round = 0; round < 5; round++) {
      const ctx = await b.connect({ method: "local", python: PY });
      const calls = Array.from(
        { length: 50 },
        (_, i) => ctx.call("operator", "add", [i, 1]).catch(() => "gone"),
      );
      const reason = ctx.closed();
      await ctx.shutdown(); // sent before the calls are answered: it may share a read with them
      assert(!(await reason).includes("did not stop"), await reason);
      for (const r of await Promise.all(calls)) assert(typeof r === "number" || r === "gone", String(r));
    }
  });
});

Deno.test("a call that writes more to stdout than a pipe holds completes, and its output arrives whole", async () => {
  await withBroker(async (b, logs) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const line = "x".repeat(300_000); // blocks print() until the I/O loop drains the capture pipe
    await ctx.call("builtins", "print", [line]);
    for (let i = 0; i < 100 && logs.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assertEquals(logs.map((l) => [l.name, l.message.length]), [["stdout", 300_000]]);
  });
});

Deno.test("stray prints and writes to fds 1 and 2 arrive as log records and never break the stream", async () => {
  await withBroker(async (b, logs) => {
    const ctx = await b.connect({ method: "local", python: PY });
    await ctx.call("builtins", "print", ["hello from print"]);
    await ctx.call("os", "write", [1, new TextEncoder().encode("raw fd 1\n")]);
    await ctx.call("os", "write", [2, new TextEncoder().encode("raw fd 2\n")]);
    await ctx.call("os", "system", ["echo from a subprocess"]);
    assertEquals(await ctx.call("os", "getpid"), ctx.info!.pid);
    // Output travels on its own pipe; give the I/O thread a bounded moment to forward the last line.
    for (let i = 0; i < 100 && logs.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    assertEquals(
      logs.map((l) => [l.context, l.name, l.message]).sort(),
      [
        [ctx.id, "stderr", "raw fd 2"],
        [ctx.id, "stdout", "from a subprocess"],
        [ctx.id, "stdout", "hello from print"],
        [ctx.id, "stdout", "raw fd 1"],
      ].sort(),
    );
  });
});

Deno.test("logging on the target is forwarded with its logger name and level", async () => {
  await withBroker(async (b, logs) => {
    const ctx = await b.connect({ method: "local", python: PY });
    await ctx.call("builtins", "exec", ['import logging\nlogging.getLogger("x.y").warning("careful %d", 3)']);
    await ctx.call("builtins", "exec", ['import logging\nlogging.getLogger("x.y").info("below the level")']);
    assertEquals(logs.map((l) => [l.context, l.name, l.level, l.message]), [[
      ctx.id,
      "x.y",
      30,
      "careful 3",
    ]]);
  });
});

Deno.test("the process is named mito:user@controller:pid unless masked", async () => {
  await withBroker(async (b) => {
    const named = await b.connect({ method: "local", python: PY });
    const masked = await b.connect({ method: "local", python: PY, maskName: true });
    const expected = `mito:${named.info!.user}@${Deno.hostname()}:${Deno.pid}`.slice(0, 15); // the kernel keeps 15
    assertEquals(Deno.readTextFileSync(`/proc/${named.info!.pid}/comm`).trim(), expected);
    assertEquals(Deno.readTextFileSync(`/proc/${masked.info!.pid}/comm`).trim(), "python3");
  });
});

Deno.test("a context that does not start in time fails the connect with the limit it missed", async () => {
  await withBroker(async (b) => {
    await assertRejects(
      () => b.connect({ method: "local", python: `sleep 2 && ${PY}`, timeout: 300 }),
      ConnectError,
      "did not start within 300 ms",
    );
    assertEquals(b.contexts(), []);
    const ok = await b.connect({ method: "local", python: `sleep 2 && ${PY}`, timeout: 30_000 });
    assertEquals(typeof ok.info!.pid, "number");
  });
});

Deno.test("a missing interpreter and an interpreter string run by a shell", async () => {
  await withBroker(async (b) => {
    await assertRejects(
      () => b.connect({ method: "local", python: "/nonexistent/python3" }),
      ConnectError,
      "ENOENT",
    );
    await assertRejects(
      () => b.connect({ method: "local", python: "exit 3 &&" }),
      ConnectError,
      "exited before the first stage",
    );
    const viaShell = await b.connect({ method: "local", python: `cd / && ${PY}` });
    assertEquals(await viaShell.call("os", "getcwd"), "/");
    const env = await b.connect({ method: "local", python: "/usr/bin/env python3" });
    assertEquals(typeof await env.call("os", "getpid"), "number");
  });
});

Deno.test("shutting the broker down while a connect is under way stops that context too", async () => {
  const b = new Broker();
  const pending = b.connect({ method: "local", python: PY });
  await b.shutdown();
  const ctx = await pending;
  assert(!ctx.alive);
  await assertRejects(() => ctx.call("os", "getpid"), ContextGoneError);
  await assertRejects(() => b.connect({ method: "local", python: PY }), ConnectError, "shutting down");
  assert(
    await stopped(ctx.info!.pid),
    `process ${ctx.info!.pid} still runs (${processState(ctx.info!.pid)})`,
  );
});

Deno.test("modules preloaded ahead of a call are imported without asking, and serve the context's children", async () => {
  await withBroker(async (b, _logs, requests) => {
    const ctx = await b.connect({ method: "local", python: PY });
    ctx.preload(["mito.runner", "mito.modules._common", "mito.modules.ping"]);
    const r = await ctx.call<Record<string, unknown>>("mito.runner", "run_module", ["ping", {}]);
    assertEquals(r.ping, "pong");
    assertEquals(requests, [], "nothing was pulled");
    ctx.preload(["mito.runner", "mito.modules._common", "mito.modules.ping"]); // there: nothing is sent again
    const child = await b.connect({ method: "local", python: PY, via: ctx });
    const r2 = await child.call<Record<string, unknown>>("mito.runner", "run_module", ["ping", {}]);
    assertEquals(r2.ping, "pong");
    assertEquals(requests, [], "the child was answered from its parent's cache");
  });
});

Deno.test("the runner's push leaves out the built-in modules' helpers, which only a built-in module's run imports", async () => {
  await withBroker(async (b, _logs, requests) => {
    const ctx = await b.connect({ method: "local", python: PY });
    ctx.preload(["mito.runner"]);
    await ctx.call("mito.runner", "read_environment_files", []);
    assertEquals(requests, [], "the runner came whole with its push");
    const r = await ctx.call<Record<string, unknown>>("mito.runner", "run_module", ["ping", {}]);
    assertEquals(r.ping, "pong");
    assertEquals(requests, ["mito.modules", "mito.modules._common", "mito.modules.ping"]);
  });
});

Deno.test("a new interpreter removes the private temp dirs of killed ones, and nothing else", async () => {
  const base = Deno.makeTempDirSync({ prefix: "mito-sweep-" });
  try {
    const dead = new Deno.Command("/bin/true").spawn();
    const deadPid = dead.pid;
    await dead.status;
    Deno.mkdirSync(`${base}/mito_${deadPid}_abc`);
    Deno.writeTextFileSync(`${base}/mito_${deadPid}_abc/.f.mito-part`, "partial");
    Deno.mkdirSync(`${base}/mito_1_live`); // pid 1 is alive: its dir stays
    Deno.mkdirSync(`${base}/other`);
    await withBroker(async (b) => {
      const ctx = await b.connect({ method: "local", python: PY, remoteTmp: base });
      const mine = await ctx.call<string>("mito.core", "get_temp_dir");
      assertEquals(listDir(base), ["mito_1_live", mine.split("/").pop()!, "other"].sort());
      assert(mine.startsWith(`${base}/mito_${ctx.info!.pid}_`), mine);
    });
    assertEquals(listDir(base), ["mito_1_live", "other"], "its own dir is gone at shutdown");
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("capControllerChildren: false leaves the controller's own children uncapped; a context's stay capped", async () => {
  await withBroker(async (b) => {
    const direct = [];
    for (const t of ["a", "b", "c"]) {
      direct.push(await b.connect({ method: "local", python: PY, env: { MITO_T: t } }));
    }
    assertEquals(direct.every((c) => c.alive), true);
    const parent = direct[0];
    await b.connect({ method: "local", python: PY, via: parent, env: { MITO_T: "1" } });
    await b.connect({ method: "local", python: PY, via: parent, env: { MITO_T: "2" } });
    await assertRejects(
      () => b.connect({ method: "local", python: PY, via: parent, env: { MITO_T: "3" } }),
      TooManyInterpretersError,
    );
  }, { maxInterpreters: 2, capControllerChildren: false });
});
