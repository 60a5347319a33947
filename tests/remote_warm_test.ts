// A new context imports the modules of its spec's `warm` (the runner's standard library) right after
// READY, while its first call is on the way (docs/pipelining.md, Part 4): only modules its own Python
// has, and without making `warm` part of which context a spec reaches.
import { assertEquals } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { runnerStdlib } from "../playbook/remote/session.ts";
import { PY } from "./connections_env.ts";
import { runIn } from "./_run.ts";

async function withBroker(fn: (b: Broker) => Promise<void>): Promise<void> {
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    await fn(b);
  } finally {
    await b.shutdown();
  }
}

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
