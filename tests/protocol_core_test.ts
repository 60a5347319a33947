// The pure protocol core without processes: routing and authority, call bookkeeping, the importer responder.
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { encodeFrame, FLAG_DEAD, type Frame, FrameDecoder } from "../core/frame.ts";
import { Router } from "../core/router.ts";
import { ADD_ROUTE, CALL, DEL_ROUTE, FORWARD_LOG } from "../core/handles.ts";
import { frameValue, structuredFrame } from "../core/message.ts";
import {
  CallCancelledError,
  callFrame,
  CallTable,
  CallTimeoutError,
  ContextGoneError,
} from "../core/calls.ts";
import { RemoteError } from "../core/codec.ts";
import { embeddedModules, ImporterResponder, type ModuleRoot, scanImports } from "../core/importer.ts";
import { firstStageArgv, firstStageCommand } from "../transports/_bootstrap.ts";

function harness() {
  const written: [number, Frame][] = [];
  const delivered: Frame[] = [];
  const gone: [number[], string][] = [];
  const warnings: string[] = [];
  const router = new Router({
    write: (sid, bytes) =>
      written.push(...new FrameDecoder().push(bytes).map((f) => [sid, f] as [number, Frame])),
    deliver: (f) => delivered.push(f),
    gone: (ids, reason) => gone.push([ids, reason]),
    warn: (m) => warnings.push(m),
  });
  return { router, written, delivered, gone, warnings };
}

Deno.test("router: frames reach contexts through the stream of their ancestor; unknown ones get dead letters", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.receive(100, structuredFrame({ dst: 0, src: 1, handle: ADD_ROUTE }, [5]));
  assert(h.router.send(structuredFrame({ dst: 5, src: 0, handle: CALL, replyTo: 1000 }, null)));
  assertEquals(h.written.map(([sid, f]) => [sid, f.dst]), [[100, 5]]);
  assert(!h.router.send(structuredFrame({ dst: 9, src: 0, handle: CALL, replyTo: 1001 }, null)));
  assertEquals(h.delivered.map((f) => [f.handle, f.flags & FLAG_DEAD, new TextDecoder().decode(f.body)]), [
    [1001, 1, "mito: no route to context 9"],
  ]);
});

Deno.test("router: a stream may only speak for its own subtree", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addStream(200, 2);
  h.router.receive(200, structuredFrame({ dst: 0, src: 1, handle: FORWARD_LOG }, ["x", 30, "spoofed"]));
  h.router.receive(
    200,
    structuredFrame({ dst: 0, src: 2, auth: 1, handle: FORWARD_LOG }, ["x", 30, "spoofed"]),
  );
  h.router.receive(200, structuredFrame({ dst: 0, src: 2, handle: FORWARD_LOG }, ["x", 30, "fine"]));
  assertEquals(h.delivered.map((f) => (frameValue(f) as string[])[2]), ["fine"]);
  assertEquals(h.warnings.length, 2);
});

Deno.test("router: a stream cannot announce a route to a context reached through another stream", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addStream(200, 2);
  h.router.receive(200, structuredFrame({ dst: 0, src: 2, handle: ADD_ROUTE }, [1, 0, 7]));
  assertEquals([h.router.streamOf(1), h.router.streamOf(0), h.router.streamOf(7)], [100, undefined, 200]);
  assertEquals(h.warnings, ["mito: ignored a route to context 1 announced by context 2"]);
});

Deno.test("router: a child may address a sibling through the controller; DEL_ROUTE and stream loss report contexts gone", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addStream(200, 2);
  h.router.receive(100, structuredFrame({ dst: 0, src: 1, handle: ADD_ROUTE }, [3, 4]));
  h.router.receive(200, structuredFrame({ dst: 3, src: 2, handle: 1234 }, "hi"));
  assertEquals(h.written.map(([sid, f]) => [sid, f.dst, f.src]), [[100, 3, 2]]);
  h.router.receive(100, structuredFrame({ dst: 0, src: 1, handle: DEL_ROUTE }, [4]));
  assertEquals(h.gone.map(([ids]) => ids), [[4]]);
  assertEquals(h.router.streamOf(4), undefined);
  h.router.removeStream(100, "its process exited with status 1");
  assertEquals(h.gone.map(([ids]) => ids), [[4], [1, 3]]);
  assertEquals(h.router.streamOf(2), 200);
});

Deno.test("calls: replies settle by handle, errors reject, dead contexts fail every call waiting on them", async () => {
  const t = new CallTable();
  const a = t.register<number>(1, "a");
  const b = t.register<number>(1, "b");
  const c = t.register<number>(2, "c");
  t.settle(structuredFrame({ dst: 0, src: 1, handle: a.handle }, 42));
  assertEquals(await a.promise, 42);
  t.settle(
    structuredFrame(
      { dst: 0, src: 2, handle: c.handle },
      new RemoteError({ type: "KeyError", message: "'x'" }),
    ),
  );
  await assertRejects(() => c.promise, RemoteError, "KeyError: 'x'");
  t.failContexts([1], "its stream closed");
  await assertRejects(() => b.promise, ContextGoneError, "context 1 is gone: its stream closed");
  assertEquals(t.size, 0);
  assert(!t.settle(structuredFrame({ dst: 0, src: 1, handle: b.handle }, 1)), "a late reply is dropped");
});

Deno.test("calls: timeouts and aborts reject locally and ask the target to drop the call", async () => {
  const abandoned: [number, number][] = [];
  const t = new CallTable((ctx, h) => abandoned.push([ctx, h]));
  const slow = t.register(3, "time.sleep in context 3", { timeout: 1 });
  await assertRejects(
    () => slow.promise,
    CallTimeoutError,
    "time.sleep in context 3 did not answer within 1 ms",
  );
  const ac = new AbortController();
  const cancelled = t.register(3, "x", { signal: ac.signal });
  ac.abort("user pressed ^C");
  await assertRejects(() => cancelled.promise, CallCancelledError, "x was cancelled: user pressed ^C");
  assertEquals(abandoned, [[3, slow.handle], [3, cancelled.handle]]);
});

Deno.test("importer: embedded files map onto the package mito; the runtime itself is not served", () => {
  const m = embeddedModules({
    "bootstrap/core.py": "x",
    "bootstrap/first_stage.py": "x",
    "bootstrap/runner.py": "import os",
    "modules/ping.py": "",
    "modules/net/__init__.py": "",
  });
  assertEquals([...m.keys()].sort(), [
    "mito.modules",
    "mito.modules.net",
    "mito.modules.ping",
    "mito.runner",
  ]);
  assertEquals([m.get("mito.modules.net")!.isPkg, m.get("mito.runner")!.filename], [
    true,
    "mito/bootstrap/runner.py",
  ]);
});

Deno.test("importer: scanning finds absolute, relative and from-imports", () => {
  const src = "import os, a.b as ab\nfrom .sib import x, y as z\nfrom .. import up\nfrom q import (r,\n s)\n";
  assertEquals(scanImports("p.sub.mod", false, src), [
    "os",
    "a.b",
    "p.sub.sib",
    "p.sub.sib.x",
    "p.sub.sib.y",
    "p",
    "p.up",
    "q",
    "q.r",
    "q.s",
  ]);
});

/** A module root serving `files` (paths relative to the root) under `prefix`. */
function filesRoot(prefix: string, files: Record<string, string>): ModuleRoot {
  const enc = new TextEncoder();
  return { prefixes: [prefix], read: (p) => (p in files ? enc.encode(files[p]) : null) };
}

Deno.test("importer: one answer carries the module and what it needs, each sent once per child; the rest is refused", () => {
  const files: Record<string, string> = {
    "ansible/module_utils/__init__.py": "",
    "ansible/module_utils/basic.py": "import json\nfrom ansible.module_utils.common import text\n",
    "ansible/module_utils/common/__init__.py": "",
    "ansible/module_utils/common/text.py": "X = 1\n",
    "ansible/__init__.py": "raise Exception('must never run on a target')",
    "ansible/cli/__init__.py": "",
  };
  const r = new ImporterResponder({ roots: [filesRoot("ansible.module_utils", files)] });
  assertEquals(r.importable(), ["mito", "ansible"]);
  const first = r.answer(7, "ansible.module_utils.basic");
  assertEquals(first.map(([n, pkg]) => [n, pkg]), [
    ["ansible", true],
    ["ansible.module_utils", true],
    ["ansible.module_utils.common", true],
    ["ansible.module_utils.common.text", false],
    ["ansible.module_utils.basic", false],
  ]);
  assertEquals(first[0][3]!.length, 0, "a parent of an allowed prefix is served empty");
  assertEquals(r.answer(7, "ansible.module_utils.common.text").map(([n]) => n), [
    "ansible.module_utils.common.text",
  ]);
  assertEquals(
    r.answer(8, "ansible.module_utils.common.text").length,
    4,
    "another child gets its own copies",
  );
  for (const name of ["ansible.cli", "json", "os.path"]) {
    assertEquals(r.answer(7, name), [[name, false, null, null, []]]);
  }
});

Deno.test("importer push: sends a module ahead only once per context, never a refusal", () => {
  const files: Record<string, string> = {
    "ansible/module_utils/__init__.py": "",
    "ansible/module_utils/basic.py": "from ansible.module_utils.common import text\n",
    "ansible/module_utils/common/__init__.py": "",
    "ansible/module_utils/common/text.py": "import json\n",
  };
  const r = new ImporterResponder({ roots: [filesRoot("ansible.module_utils", files)] });
  assertEquals(r.push(3, "ansible.module_utils.common.text").map(([n]) => n), [
    "ansible",
    "ansible.module_utils",
    "ansible.module_utils.common",
    "ansible.module_utils.common.text",
  ]);
  assertEquals(r.push(3, "ansible.module_utils.common.text"), [], "already pushed");
  assertEquals(r.push(3, "ansible.module_utils.basic").map(([n]) => n), ["ansible.module_utils.basic"]);
  assertEquals(r.push(3, "ansible.cli"), [], "a module that is not served is not pushed");
  assertEquals(r.answer(3, "ansible.cli"), [["ansible.cli", false, null, null, []]], "asked: refused");
});

Deno.test("importer push: top-level imports and mito's own travel ahead; an answer to a request carries all", () => {
  const files: Record<string, string> = {
    "lib/__init__.py": "",
    "lib/always.py": "X = 1\n",
    "lib/sometimes.py": "Y = 2\n",
    "lib/guarded.py": "Z = 3\n",
    "lib/main.py":
      "import json\nfrom lib import always\ntry:\n    import lib.guarded\nexcept ImportError:\n" +
      "    pass\n\ndef f():\n    from lib import sometimes\n",
  };
  const roots = [filesRoot("lib", files)];
  const pushed = new ImporterResponder({ roots }).push(1, "lib.main");
  assertEquals(pushed.map(([n]) => n), ["lib", "lib.always", "lib.main"]);
  assertEquals(
    pushed[2][4]!.toSorted(),
    ["lib", "lib.always", "lib.guarded", "lib.sometimes"],
    "related: all",
  );
  const answered = new ImporterResponder({ roots }).answer(1, "lib.main").map(([n]) => n);
  assertEquals(answered.toSorted(), ["lib", "lib.always", "lib.guarded", "lib.main", "lib.sometimes"]);
});

Deno.test("a call's body names module:function and leaves out the empty parts at its end", () => {
  const body = (chain: number | null, spec: Parameters<typeof callFrame>[3]) =>
    new TextDecoder().decode(callFrame(1, 1000, chain, spec).body);
  assertEquals(body(null, { module: "os", fn: "getpid" }), '["os:getpid"]');
  assertEquals(
    body(null, { module: "operator", fn: "add", args: [1, 2], kwargs: {} }),
    '["operator:add",[1,2]]',
  );
  assertEquals(body(null, { module: "m", fn: "C.f", kwargs: { x: 1 } }), '["m:C.f",[],{"x":1}]');
  assertEquals(body(0, { module: "os", fn: "getpid" }), '["os:getpid",[],{},0]');
  assertEquals(
    body(null, { module: "m", fn: "f", kwargs: new Map([[1, 2]]) as unknown as Record<string, unknown> }),
    '["m:f",[],{"$d":[[1,2]]}]',
  );
});

Deno.test("encoded frames concatenate into one burst that decodes back in order", () => {
  const burst = new Uint8Array([
    ...encodeFrame(structuredFrame({ dst: 1, src: 0, handle: CALL }, ["os:getpid"])),
    ...encodeFrame(
      structuredFrame({ dst: 1, src: 0, handle: CALL, replyTo: 1000 }, ["os:getcwd"]),
    ),
  ]);
  assertEquals(new FrameDecoder().push(burst).map((f) => (frameValue(f) as unknown[])[0]), [
    "os:getpid",
    "os:getcwd",
  ]);
});

Deno.test("the first stage fits in 1 KB of argv and survives single-quoting by a shell", () => {
  const [python, flag, code] = firstStageArgv("/usr/bin/python3");
  assertEquals([python, flag], ["/usr/bin/python3", "-c"]);
  assert(code.length < 1024, `${code.length} bytes`);
  assert(!code.includes("'"), "no single quote");
  assertEquals(firstStageArgv("/usr/bin/env python3").slice(0, 2), ["/bin/sh", "-c"]);
  assertEquals(
    firstStageCommand("source /opt/venv/bin/activate && python3"),
    `source /opt/venv/bin/activate && python3 -c '${code}'`,
  );
});

Deno.test("importer: a root can never be configured to serve the stdlib", () => {
  for (const prefix of ["json", "os.path", "encodings.idna"]) {
    let msg = "";
    try {
      new ImporterResponder({ roots: [{ prefixes: [prefix], read: () => null }] });
    } catch (e) {
      msg = (e as Error).message;
    }
    assertEquals(msg, `mito: a module root may not serve the stdlib (${prefix})`);
  }
});
