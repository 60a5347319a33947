// The pure protocol core without processes: the importer responder, call frames, framing bursts, the first
// stage. The router's and the call table's rules are tested beside them (core/router_test.ts,
// core/calls_test.ts).
import { assert, assertEquals } from "./_assert.ts";
import { encodeFrame, FrameDecoder } from "../core/frame.ts";
import { CALL } from "../core/handles.ts";
import { frameValue, structuredFrame } from "../core/message.ts";
import { callFrame } from "../core/calls.ts";
import { embeddedModules, ImporterResponder, type ModuleRoot, scanImports } from "../core/importer.ts";
import { firstStageArgv, firstStageCommand } from "../transports/_bootstrap.ts";

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

Deno.test("importer push: what runs at import time and mito's own travel ahead; an answer to a request carries all", () => {
  const files: Record<string, string> = {
    "lib/__init__.py": "",
    "lib/always.py": "X = 1\n",
    "lib/sometimes.py": "Y = 2\n",
    "lib/guarded.py": "Z = 3\n",
    "lib/fallback.py": "F = 4\n",
    "lib/in_class.py": "C = 5\n",
    "lib/main.py": [
      "import json",
      "from lib import always",
      "try:",
      "    import lib.guarded",
      "except ImportError:",
      "    from lib import fallback",
      "",
      "def f(a,",
      "      b):",
      "    from lib import sometimes",
      "",
      "class K:",
      "    from lib import in_class",
      "    async def g(self):",
      "        import lib.sometimes",
      "from lib import absent_name",
      "",
    ].join("\n"),
  };
  const roots = [filesRoot("lib", files)];
  const pushed = new ImporterResponder({ roots }).push(1, "lib.main");
  // The package first and the module last; between them its imports, then the names known to be absent.
  const names = pushed.map(([n, , , source]) => source === null ? `${n} (absent)` : n);
  assertEquals([names[0], names[names.length - 1]], ["lib", "lib.main"]);
  assertEquals(names.slice(1, -2).toSorted(), ["lib.always", "lib.guarded", "lib.in_class"]);
  assertEquals(names[names.length - 2], "lib.absent_name (absent)");
  assertEquals(
    pushed[pushed.length - 1][4]!.toSorted(),
    ["lib", "lib.always", "lib.fallback", "lib.guarded", "lib.in_class", "lib.sometimes"],
    "related: all",
  );
  const answered = new ImporterResponder({ roots }).answer(1, "lib.main").map(([n]) => n);
  assertEquals(answered.toSorted(), [
    "lib",
    "lib.absent_name",
    "lib.always",
    "lib.fallback",
    "lib.guarded",
    "lib.in_class",
    "lib.main",
    "lib.sometimes",
  ]);
});

Deno.test("importer push: nothing of a package the context has of its own, not even in the related names", () => {
  const files: Record<string, string> = {
    "lib/__init__.py": "",
    "lib/runner.py": "from lib import helper\n\ndef run():\n    from ansible.module_utils import basic\n",
    "lib/helper.py": "from ansible.module_utils import missing\nX = 1\n",
    "ansible/module_utils/__init__.py": "",
    "ansible/module_utils/basic.py": "Y = 2\n",
  };
  const root = (prefix: string) => filesRoot(prefix, files);
  const r = new ImporterResponder({ roots: [root("lib"), root("ansible.module_utils")] });
  assertEquals(r.push(1, "ansible.module_utils.basic", ["ansible"]), []);
  assertEquals(r.push(1, "lib.runner", ["ansible"]).map(([n, , , , related]) => [n, related]), [
    ["lib", []],
    ["lib.helper", ["lib"]],
    ["lib.runner", ["lib", "lib.helper"]],
  ], "not even a name of it known to be absent");
  const other = r.push(2, "lib.runner");
  assertEquals(other.map(([n, , , source]) => source === null ? `${n} (absent)` : n), [
    "lib",
    "ansible",
    "lib.helper",
    "ansible.module_utils",
    "ansible.module_utils.missing (absent)",
    "lib.runner",
  ], "a context without it");
  assertEquals(other[other.length - 1][4], [
    "lib",
    "ansible",
    "lib.helper",
    "ansible.module_utils",
    "ansible.module_utils.basic",
  ], "its modules are related");
});

Deno.test("importer prepare: a later push within the module's own package reads and scans nothing more", () => {
  const files: Record<string, string> = {
    "lib/__init__.py": "",
    "lib/runner.py": "from lib import helper\n\ndef run():\n    from ansible.module_utils import basic\n",
    "lib/helper.py": "import lib.more\n",
    "lib/more.py": "X = 1\n",
    "ansible/module_utils/__init__.py": "",
    "ansible/module_utils/basic.py": "from ansible.module_utils import common\n",
    "ansible/module_utils/common.py": "Y = 2\n",
  };
  const reads: string[] = [];
  const counted = (prefix: string): ModuleRoot => ({
    prefixes: [prefix],
    read: (p) => (reads.push(p), p in files ? new TextEncoder().encode(files[p]) : null),
  });
  const r = new ImporterResponder({ roots: [counted("lib"), counted("ansible.module_utils")] });
  r.prepare("lib.runner");
  assertEquals(
    reads.filter((p) => p.endsWith("common.py")),
    [],
    "another package's imports wait for the push",
  );
  const before = reads.length;
  assertEquals(r.push(1, "lib.runner", ["ansible"]).map(([n]) => n), [
    "lib",
    "lib.helper",
    "lib.more",
    "lib.runner",
  ]);
  assertEquals(reads.length, before, "the push found it all done");
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

Deno.test("importer: a name that is not a dotted identifier is refused before any root reads a file", () => {
  const asked: string[] = [];
  const imp = new ImporterResponder({
    roots: [{
      prefixes: ["ansible.module_utils"],
      read: (rel) => (asked.push(rel), rel.endsWith("basic.py") ? new TextEncoder().encode("x = 1") : null),
    }],
  });
  for (
    const name of [
      "ansible.module_utils.x/../../../etc/passwd",
      "ansible.module_utils..basic",
      "ansible.module_utils.",
      "",
    ]
  ) {
    assertEquals(imp.lookup(name), null, name);
    assertEquals(imp.answer(1, name), [[name, false, null, null, []]]);
  }
  assertEquals(asked, []);
  assertEquals(imp.lookup("ansible.module_utils.basic")!.filename, "ansible/module_utils/basic.py");
  assertEquals(asked, ["ansible/module_utils/basic/__init__.py", "ansible/module_utils/basic.py"]);
});

Deno.test("importer: a directory without __init__.py (a namespace package) is served as an empty package", () => {
  const files: Record<string, string> = {
    "ansible_collections/acme/web/plugins/module_utils/util.py": "X = 1\n",
  };
  const dirs = new Set(["ansible_collections", "ansible_collections/acme", "ansible_collections/acme/web"]);
  const imp = new ImporterResponder({
    roots: [{ ...filesRoot("ansible_collections", files), isDir: (p) => dirs.has(p) }],
  });
  for (const name of ["ansible_collections", "ansible_collections.acme", "ansible_collections.acme.web"]) {
    const info = imp.lookup(name)!;
    assertEquals([info.isPkg, info.source.length], [true, 0], name);
  }
  assertEquals(imp.lookup("ansible_collections.acme.web.plugins.module_utils.util")!.isPkg, false);
  assertEquals(imp.lookup("ansible_collections.nobody"), null);
});
