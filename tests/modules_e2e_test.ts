// The module runtime through the real protocol: a local context (/usr/bin/python3) imports
// mito.runner and mito.modules.* from the controller's embedded bundle and runs tasks.
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Broker } from "../transports/broker.ts";
import { tempDir } from "./modules_harness.ts";
import { callWithSource, sourceDigest } from "../playbook/remote/module_sources.ts";

const PY = "/usr/bin/python3";

Deno.test("tasks run over a local context: built-ins, bytes content, Ansible modules, a crash", async () => {
  const b = new Broker({});
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    const d = tempDir();
    const dest = join(d, "f.bin");
    const call = (fn: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
      ctx.call<any>("mito.runner", fn, args, kwargs);
    const ping = await call("run_module", ["ping", {}]);
    assertEquals(ping.ping, "pong");
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const c1 = await call("run_module", ["copy", { content: bytes, dest, mode: "0600" }]);
    const c2 = await call("run_module", ["copy", { content: bytes, dest, mode: "0600" }]);
    assertEquals([c1.changed, c2.changed], [true, false]);
    assertEquals([...readFileSync(dest)], [0, 1, 2, 255]);
    assertEquals(c1.mode, "0600");
    const crash = await call("run_module", ["ping", { data: "crash" }]);
    assertEquals(crash.failed, true);
    assertStringIncludes(crash.module_stderr, "boom");
    const src = readFileSync("/usr/lib/python3/dist-packages/ansible/modules/stat.py", "utf-8");
    const st = await call("run_ansible_module", [src, { path: dest }], { name: "stat" });
    assertEquals(st.stat.size, 4);
    assertEquals(st.stat.mode, "0600");
    const sh = await call("run_module", ["shell", { _raw_params: "echo $MITO_E2E; pwd" }], {
      environment: { MITO_E2E: "yes" },
      cwd: d,
    });
    assertEquals(sh.stdout, `yes\n${d}`);
    const facts = await call("run_module", ["setup", { gather_subset: ["!all"] }]);
    assert(typeof facts.ansible_facts.ansible_distribution === "string");
    const want = '#!/bin/sh\n# WANT_JSON\nprintf \'{"changed": true, "argsfile": "%s"}\' "$1"\n';
    const wj = await call("run_ansible_module", [want, {}], { name: "wj" });
    assertEquals(wj.changed, true);
    assert(!wj.argsfile.startsWith(d)); // written in the interpreter's private temp dir
    const jobs = tempDir();
    const started = await call(
      "start_async",
      ["e2e1", 30, "builtin", "shell", { _raw_params: "echo async" }],
      {
        async_dir: jobs,
      },
    );
    assertEquals(started.results_file, join(jobs, "e2e1"));
    let status: any = { finished: 0 };
    for (let i = 0; i < 100 && !status.finished; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await call("run_module", ["async_status", { jid: "e2e1", _async_dir: jobs }]);
    }
    assertEquals([status.finished, status.stdout], [1, "async"]);
  } finally {
    await b.shutdown();
  }
});

Deno.test("an Ansible module's source goes to a context once, then by digest; a context without it gets it again", async () => {
  const b = new Broker({});
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    const src = new Uint8Array(readFileSync("/usr/lib/python3/dist-packages/ansible/modules/ping.py"));
    const d = sourceDigest(src);
    const ping = (data: string) => callWithSource<any>(ctx, src, { data }, { name: "ping" });
    assertEquals((await ping("a")).ping, "a");
    // The target's copy is marked (and its compiled code dropped): a call that sends the digest alone runs
    // the copy the target holds.
    const mark = (code: string) => ctx.call("builtins", "exec", [`import mito.runner as r\n${code}`]);
    await mark(
      `r._SOURCES[${JSON.stringify(d)}] = r._SOURCES[${JSON.stringify(d)}]` +
        `.replace(b"result = dict(", b"result = dict(kept=True, ")\nr._CODE.clear()`,
    );
    const second = await ping("b");
    assertEquals([second.ping, second.kept], ["b", true]);
    // An interpreter that lost it (SourceNotCached) is sent the source again, and keeps it from then on.
    await mark("r._SOURCES.clear()\nr._CODE.clear()");
    const third = await ping("c");
    assertEquals([third.ping, third.kept], ["c", undefined]);
    assertEquals(await ctx.call("builtins", "eval", [`list(__import__("mito.runner").runner._SOURCES)`]), [
      d,
    ]);
  } finally {
    await b.shutdown();
  }
});
