// The plugin host's pieces on their own: values to and from the wire, the names a playbook uses, the
// order of plugin folders, the host itself (a real Python) answering, failing and dying, and action plugins
// running at once in hosts of their own.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals, assertThrows } from "../../tests/_assert.ts";
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { isTuple, markUnsafe, tuple, Undefined } from "../template/mod.ts";
import { fromWire, toWire } from "./_wire.ts";
import { pluginNames } from "./preflight.ts";
import { pluginFolders } from "./resolver.ts";
import { PluginError, PluginHost, PluginHostError } from "./host.ts";
import { ActionPlugins } from "./actions.ts";
import { CollectionIndex } from "../collections.ts";

Deno.test("wire: unsafe, vault and undefined values are marked; a dict that looks like a mark is escaped", () => {
  const vault = new VaultString("$ANSIBLE_VAULT;1.1;AES256\n6162", "vars.yml", () => "hush");
  const sent = toWire([
    "plain",
    new UnsafeString("{{ x }}"),
    vault,
    new Undefined("nope"),
    { $unsafe: "mine" },
    markUnsafe(["in an unsafe list"]),
    new PyFloat(2),
  ]);
  assertEquals(sent.marked, true);
  assertEquals(sent.value, [
    "plain",
    { $unsafe: "{{ x }}" },
    { $vault: ["$ANSIBLE_VAULT;1.1;AES256\n6162", "hush"] },
    { $undefined: ["nope", "'nope' is undefined"] },
    { $escaped: { $unsafe: "mine" } },
    [{ $unsafe: "in an unsafe list" }],
    new PyFloat(2),
  ]);
  assertEquals(toWire({ a: [1, "b", null] }), { value: { a: [1, "b", null] }, marked: false });
});

Deno.test("wire: marked values come back as mito's types, tuples as tuples", () => {
  const back = fromWire([
    { $unsafe: "u" },
    { $vault: ["cipher", "plain"] },
    { $undefined: ["x", "'x' is undefined"] },
    { $escaped: { $unsafe: "mine" } },
  ]) as unknown[];
  assert(back[0] instanceof UnsafeString && back[0].value === "u");
  assert(back[1] instanceof VaultString && back[1].value === "plain" && back[1].ciphertext === "cipher");
  assert(back[2] instanceof Undefined && back[2].message === "'x' is undefined");
  assertEquals(back[3], { $unsafe: "mine" });
  const t = toWire(tuple([1, 2])).value;
  assert(isTuple(fromWire(t)));
});

Deno.test("wire: bytes from the host are text, except an action plugin's file data marked $bytes", () => {
  const data = new Uint8Array([0xff, 0x00, 0x80]);
  assertEquals(fromWire(new Uint8Array([0x68, 0x69])), "hi");
  assertEquals(fromWire([{ $bytes: data }]), [data]);
});

Deno.test("preflight: filter, test and lookup names as a playbook writes them", () => {
  const names = pluginNames({
    tasks: [
      {
        debug: {
          msg: "{{ x | a.b.f(1) | ansible.builtin.to_json }} {{ y is a.b.t }} {{ l | map('m.n.f') }}",
        },
      },
      { when: "z is not defined and w | selectattr('k', 'a.b.t2') | list" },
      { set_fact: { v: "{{ lookup('a.b.l', 'x') }} {{ query('q2') }}" }, with_a_b: [] },
      { loopWith: "c.d.l" },
    ],
  });
  assertEquals([...names.filter].sort(), [
    "a.b.f",
    "ansible.builtin.to_json",
    "list",
    "m.n.f",
    "map",
    "selectattr",
  ]);
  assertEquals([...names.test].sort(), ["a.b.t", "a.b.t2", "defined"]);
  assertEquals([...names.lookup].sort(), ["a.b.l", "a_b", "c.d.l", "q2"]);
});

Deno.test("folders: adjacent ones that exist, then each configured path after its sub-folders", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mito-folders-"));
  try {
    for (const d of ["pb/filter_plugins", "role/x", "conf/b/deep", "conf/a"]) {
      fs.mkdirSync(path.join(root, d), { recursive: true });
    }
    const j = (p: string) => path.join(root, p);
    assertEquals(pluginFolders([j("pb"), j("role")], "filter_plugins", [j("conf")]), [
      j("pb/filter_plugins"),
      j("conf/a"),
      j("conf/b"),
      j("conf/b/deep"),
      j("conf"),
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("host: a folder filter answers; its exception and a dead host are errors, never a hang", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-host-"));
  fs.writeFileSync(
    path.join(dir, "f.py"),
    [
      "import os",
      "def die(v):",
      "    os._exit(3)",
      "def boom(v):",
      "    raise ValueError('no %s' % v)",
      "class FilterModule(object):",
      "    def filters(self):",
      "        return {'twice': lambda v, n=2: [v] * n, 'boom': boom, 'die': die}",
    ].join("\n"),
  );
  const host = new PluginHost({ python: "/usr/bin/python3", collectionRoots: [] });
  try {
    assertEquals(host.started, false);
    const [names] = host.call("jinja_legacy", ["filter", [dir]]) as [Record<string, number>];
    assertEquals(Object.keys(names).sort(), ["boom", "die", "twice"]);
    assertEquals(host.call("call", [names.twice, new UnsafeString("a"), [], { n: 3 }]), [
      new UnsafeString("a"),
      new UnsafeString("a"),
      new UnsafeString("a"),
    ]);
    const err = assertThrows(() => host.call("call", [names.boom, "x", [], {}]), PluginError);
    assertEquals([err.name, err.message], ["<class 'ValueError'>", "no x"]);
    assertThrows(
      () => host.call("call", [names.die, 1, [], {}]),
      PluginHostError,
      "the plugin host has exited",
    );
    assertThrows(() => host.call("call", [names.twice, 1, [], {}]), PluginHostError);
  } finally {
    host.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("actions: plugins on two hosts run at once, each in a host of its own, while their module calls wait", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-actions-"));
  fs.writeFileSync(
    path.join(dir, "relay.py"),
    [
      "import os",
      "from ansible.plugins.action import ActionBase",
      "class ActionModule(ActionBase):",
      "    def run(self, tmp=None, task_vars=None):",
      "        got = self._execute_module(module_name='ansible.legacy.ping', module_args={'data': self._task.args['n']})",
      "        return {'got': got['ping'], 'pid': os.getpid()}",
    ].join("\n"),
  );
  const hosts: PluginHost[] = [];
  const actions = new ActionPlugins({
    newHost: () => {
      hosts.push(new PluginHost({ python: "/usr/bin/python3", collectionRoots: [] }));
      return hosts[hosts.length - 1];
    },
    maxHosts: 2,
    collections: new CollectionIndex([]),
    folders: () => [dir],
  });
  // each module call is answered only once both plugins have asked: neither could finish alone (bounded:
  // run one after the other, the first gives up)
  const asked: string[] = [];
  let bothAsked: () => void;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const both = new Promise<void>((resolve, reject) => {
    bothAsked = resolve;
    timer = setTimeout(
      () => reject(new Error("the other plugin never asked: they did not run at once")),
      60_000,
    );
  });
  const call = (n: string) => {
    const request = {
      host: n,
      targetHost: n,
      module: "relay",
      args: { n },
      checkMode: false,
      diff: false,
      noLog: false,
      become: { become: false, method: "sudo", user: "root" },
      environment: {},
      connectionVars: {},
      searchPath: [],
      asyncSeconds: 0,
      poll: 15,
      timeout: 0,
      verbosity: 0,
    };
    return actions.run({
      plugin: actions.find("relay", "relay")!,
      request,
      task: { action: "relay", name: "relay", noLog: false },
      lookup: { vars: { get: () => undefined }, native: false, templar: { template: (v) => v } },
      basedir: dir,
      runModule: async (req) => {
        asked.push(`${req.module}(${String(req.args.data)}) on ${req.targetHost}`);
        if (asked.length === 2) bothAsked();
        await both;
        return { ping: req.args.data };
      },
    });
  };
  try {
    assertEquals(actions.started, false);
    const [a, b] = await Promise.all([call("one"), call("two")]);
    assertEquals(asked.sort(), ["ping(one) on one", "ping(two) on two"]);
    assertEquals([a.got, b.got], ["one", "two"]);
    assert(a.pid !== b.pid, "both plugins ran in one host");
    assertEquals(hosts.length, 2);
  } finally {
    clearTimeout(timer);
    actions.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
