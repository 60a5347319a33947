// A new context imports the modules of its spec's `warm` (the runner's standard library) right after
// READY, while its first call is on the way (docs/pipelining.md, Part 4): only modules its own Python
// has, and without making `warm` part of which context a spec reaches.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { withBroker } from "./_broker.ts";
import { ANSIBLE_BASIC, runnerStdlib, targetWarm } from "../playbook/remote/session.ts";
import { ansibleModuleRoot, ansibleRelease } from "../playbook/remote/modules.ts";
import { PY } from "./connections_env.ts";
import { runIn } from "./_run.ts";

const loaded = (b: Broker, warm: string[] | undefined, name: string) =>
  b.connect({ method: "local", python: PY, ...(warm ? { warm } : {}) })
    .then((ctx) => ctx.call<boolean>("sys", "modules.__contains__", [name]));

Deno.test("a context imports its warm modules before its first call; without warm it does not", async () => {
  // colorsys: a standard module nothing of mito's imports
  await withBroker(async (b) => assertEquals(await loaded(b, undefined, "colorsys"), false));
  await withBroker(async (b) => assertEquals(await loaded(b, ["colorsys"], "colorsys"), true));
});

Deno.test("a warm module the interpreter does not have is skipped; the rest are imported", async () => {
  await withBroker(async (b) => {
    const warm = ["mito_no_such_module", "colorsys"];
    assertEquals(await loaded(b, warm, "mito_no_such_module"), false);
    assertEquals(await loaded(b, warm, "colorsys"), true);
  });
});

Deno.test("a warm module only the controller could serve is never asked of it (mito's own package)", async () => {
  const asked: string[] = [];
  const b = new Broker({
    methods: defaultMethods(),
    onLog: () => {},
    onModuleRequest: (_, name) => asked.push(name),
  });
  try {
    // the timeout bounds the import that would wait, unread, for the controller's answer
    const ctx = await b.connect({
      method: "local",
      python: PY,
      timeout: 5000,
      warm: ["mito.runner", "colorsys"],
    });
    assertEquals(await ctx.call("sys", "modules.__contains__", ["colorsys"]), true);
    assertEquals(await ctx.call("sys", "modules.__contains__", ["mito.runner"]), false);
    assertEquals(asked, []);
  } finally {
    await b.shutdown();
  }
});

Deno.test("warm is no part of the stack: specs differing only in it reach the same context", async () => {
  await withBroker(async (b) => {
    const one = await b.connect({ method: "local", python: PY, warm: ["colorsys"] });
    const two = await b.connect({ method: "local", python: PY, warm: ["json"] });
    const bare = await b.connect({ method: "local", python: PY });
    assertEquals([two.id, bare.id], [one.id, one.id]);
  });
});

Deno.test("runnerStdlib: the runner's top-level imports, every one in the standard library", () => {
  const names = runnerStdlib();
  for (const costly of ["subprocess", "tempfile", "traceback", "hashlib"]) {
    assertEquals(names.includes(costly), true, `${costly} missing from ${names.join(",")}`);
  }
  const r = runIn(".", PY, [
    "-I",
    "-c",
    // names neither built in nor in the standard library's folder
    "import importlib.machinery, sys, sysconfig\n" +
    "std = sysconfig.get_paths()['stdlib']\n" +
    "spec = importlib.machinery.PathFinder.find_spec\n" +
    "print([n for n in sys.argv[1:] if n not in sys.builtin_module_names and\n" +
    "       not (spec(n) and (spec(n).origin or '').startswith(std + '/'))])",
    ...names,
  ]);
  assertEquals([r.code, r.stdout.trim()], [0, "[]"]);
});

Deno.test("targetWarm: module_utils.basic after the runner's standard library only in a run of Ansible's modules", () => {
  assertEquals(targetWarm(false), runnerStdlib());
  assertEquals(targetWarm(true), [...runnerStdlib(), ANSIBLE_BASIC]);
});

// A target's own ansible-core (docs/protocol.md "A target's own ansible-core"): module_utils.basic is warmed
// from it only where READY lists it as local, and never by asking the controller.
const DIST = "/usr/lib/python3/dist-packages";
const CONTROLLER = ansibleRelease(DIST);

/** An ansible-core of release `version` under a new folder whose basic.py is `basic`. */
function fakeAnsible(version: string, basic: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mito-warm-ansible-"));
  mkdirSync(join(dir, "ansible", "module_utils"), { recursive: true });
  writeFileSync(join(dir, "ansible", "__init__.py"), "");
  writeFileSync(join(dir, "ansible", "module_utils", "__init__.py"), "");
  writeFileSync(join(dir, "ansible", "module_utils", "ansible_release.py"), `__version__ = '${version}'\n`);
  writeFileSync(join(dir, "ansible", "module_utils", "basic.py"), basic);
  return dir;
}

/** A context of a broker serving ansible-core's module_utils, warming basic; the names it asked for. */
async function withAnsibleTarget(
  env: Record<string, string>,
  fn: (ctx: Awaited<ReturnType<Broker["connect"]>>, asked: string[]) => Promise<void>,
): Promise<void> {
  assert(CONTROLLER, "ansible-core (Debian) must be installed");
  const asked: string[] = [];
  const b = new Broker({
    methods: defaultMethods(),
    onLog: () => {},
    roots: [ansibleModuleRoot(DIST)],
    onModuleRequest: (_, name) => asked.push(name),
  });
  try {
    // the timeout bounds an import that would wait, unread, for the controller's answer
    const ctx = await b.connect({ method: "local", python: PY, env, timeout: 5000, warm: [ANSIBLE_BASIC] });
    await fn(ctx, asked);
  } finally {
    await b.shutdown();
  }
}

const has = (ctx: Awaited<ReturnType<Broker["connect"]>>, name: string) =>
  ctx.call<boolean>("sys", "modules.__contains__", [name]);

Deno.test("a target with ansible-core of the controller's release imports its module_utils.basic before the first call", async () => {
  await withAnsibleTarget({}, async (ctx, asked) => {
    assertEquals(ctx.info!.local, ["ansible"]);
    assertEquals(await has(ctx, ANSIBLE_BASIC), true);
    assertEquals(await ctx.call(ANSIBLE_BASIC, "__file__.__str__"), `${DIST}/ansible/module_utils/basic.py`);
    assertEquals(asked, []);
  });
});

Deno.test("a target whose ansible-core is another release does not warm its module_utils.basic", async () => {
  const fake = fakeAnsible("2.99.0", "MARK = 'target copy'\n");
  try {
    await withAnsibleTarget({ PYTHONPATH: fake }, async (ctx, asked) => {
      assertEquals(ctx.info!.local, []);
      assertEquals(await has(ctx, ANSIBLE_BASIC), false);
      assertEquals(asked, []);
      assertEquals(
        await ctx.call(ANSIBLE_BASIC, "__dict__.__contains__", ["MARK"]),
        false,
        "the controller's",
      );
    });
  } finally {
    rmSync(fake, { recursive: true, force: true });
  }
});

Deno.test("a warm import needing a name only the controller serves is undone: the call imports it with the controller's answer", async () => {
  // the target's copy lacks module_utils.six, which the controller serves; importing it here would have
  // taken the ImportError branch
  const basic = "try:\n    from ansible.module_utils import six\n    HAS_SIX = True\n" +
    "except ImportError:\n    HAS_SIX = False\n";
  const fake = fakeAnsible(CONTROLLER!, basic);
  try {
    await withAnsibleTarget({ PYTHONPATH: fake }, async (ctx, asked) => {
      assertEquals(ctx.info!.local, ["ansible"]);
      assertEquals(await has(ctx, ANSIBLE_BASIC), false, "forgotten after the warm");
      assertEquals(asked, []);
      assertEquals(await ctx.call(ANSIBLE_BASIC, "HAS_SIX.__bool__"), true);
      assertEquals(asked.includes("ansible.module_utils.six"), true);
    });
  } finally {
    rmSync(fake, { recursive: true, force: true });
  }
});
