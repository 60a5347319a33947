import { assertEquals } from "../../tests/_assert.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Block, Play, RoleInstance, Task } from "../model.ts";
import { OMIT_TOKEN, Templar } from "../template/mod.ts";
import { VaultSecrets } from "../vault/mod.ts";
import { UnsafeString } from "../values.ts";
import { openInventory } from "../_inventory_view.ts";
import { HostVars, type HostVarsOptions, type PlayVars } from "./host_vars.ts";

/** The layers of a task's variables, lowest precedence first, as Ansible documents them. */
const LAYERS = [
  "role defaults",
  "inventory",
  "facts",
  "play vars",
  "vars_prompt",
  "vars_files",
  "role vars",
  "block vars",
  "task vars",
  "include_vars",
  "set_fact",
  "role params",
  "include params",
  "extra vars",
];

/** v0 … v13: vK is set by layers 0 … K, each to its layer's name, so it reads as layer K's. */
function setBy(layer: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = layer; k < LAYERS.length; k++) out[`v${k}`] = LAYERS[layer];
  return out;
}

function withInventory(body: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-hostvars-"));
  try {
    fs.writeFileSync(
      path.join(dir, "hosts.ini"),
      `[web]\nweb1 ${Object.entries(setBy(1)).map(([k, v]) => `${k}='${v}'`).join(" ")}\nweb2\n[db]\ndb1\n`,
    );
    body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function setup(dir: string, failed: Set<string>, factCache?: HostVarsOptions["factCache"]) {
  const inventory = openInventory({
    sources: [path.join(dir, "hosts.ini")],
    limit: [],
    vault: new VaultSecrets(),
    cwd: dir,
    playbookDirs: [],
    warn: (m) => {
      throw new Error(`unexpected warning: ${m}`);
    },
  });
  const vars = new HostVars({
    inventory,
    templar: new Templar({ native: false }),
    lazyMapping: () => {
      throw new Error("hostvars is not read here");
    },
    omitToken: OMIT_TOKEN,
    extraVars: setBy(13),
    check: true,
    diff: false,
    verbosity: 2,
    ansibleVersion: { full: "2.14.0", major: 2, minor: 14, revision: 0, string: "2.14.0" },
    tags: [],
    skipTags: ["slow"],
    forks: 5,
    readYaml: () => {
      throw new Error("no vars_files are read here");
    },
    live: (h) => !failed.has(h),
    factCache,
  });
  const role: RoleInstance = {
    name: "app",
    path: path.join(dir, "roles/app"),
    params: setBy(11),
    defaults: setBy(0),
    vars: setBy(6),
    public: false,
    handlers: [],
    key: "app",
  };
  const outer: RoleInstance = {
    ...role,
    name: "base",
    path: path.join(dir, "roles/base"),
    params: {},
    defaults: {},
    vars: {},
  };
  role.dependencyOf = outer;
  const play: Play = {
    kind: "play",
    id: 1,
    name: "site",
    hosts: "all",
    file: path.join(dir, "site.yml"),
    baseDir: dir,
    vars: setBy(3),
    varsFiles: [],
    varsPrompt: [],
    sections: [],
    handlers: [],
    roles: [outer, role],
    kw: {},
  };
  const outerBlock: Block = {
    kind: "block",
    id: 2,
    block: [],
    rescue: [],
    always: [],
    kw: {},
    parent: play,
    role: outer,
  };
  const block: Block = {
    kind: "block",
    id: 3,
    block: [],
    rescue: [],
    always: [],
    kw: { vars: setBy(7) },
    parent: outerBlock,
    role,
    includeParams: setBy(12),
  };
  const task: Task = {
    kind: "task",
    id: 4,
    action: "debug",
    actionWritten: "debug",
    args: {},
    kw: { vars: setBy(8) },
    parent: block,
    role,
    pos: { file: path.join(dir, "roles/app/tasks/main.yml"), line: 1, column: 1 },
    isHandler: false,
    localAction: false,
  };
  const pr: PlayVars = {
    play,
    all: ["web1", "web2", "db1"],
    batch: ["web1", "web2"],
    promptVars: setBy(4),
    varsFiles: new Map([["web1", setBy(5)]]),
    publicRoles: [],
  };
  vars.applyFacts("web1", "setup", { ansible_facts: setBy(2) });
  vars.applyFacts("web1", "include_vars", { ansible_facts: setBy(9) });
  vars.applyFacts("web1", "set_fact", { ansible_facts: setBy(10) });
  return { vars, pr, task };
}

Deno.test("a task's variables: each layer beats the ones below it, in Ansible's documented order", () => {
  withInventory((dir) => {
    const { vars, pr, task } = setup(dir, new Set());
    const view = vars.forTask(pr, "web1", task);
    // (module facts are unsafe strings: String() reads them as text)
    assertEquals(LAYERS.map((_, k) => String(view.get(`v${k}`))), LAYERS);
  });
});

Deno.test("magic variables: the host, its groups, the play's live hosts, the role and the search path", () => {
  withInventory((dir) => {
    const failed = new Set<string>(["web2"]);
    const { vars, pr, task } = setup(dir, failed);
    const view = vars.forTask(pr, "web1", task);
    const names = [
      "inventory_hostname",
      "group_names",
      "ansible_play_hosts_all",
      "ansible_play_hosts",
      "ansible_play_batch",
      "role_name",
      "ansible_role_name",
      "ansible_parent_role_names",
      "ansible_check_mode",
      "ansible_run_tags",
      "ansible_skip_tags",
      "inventory_file",
    ];
    assertEquals(names.map((n) => view.get(n)), [
      "web1",
      ["web"],
      ["web1", "web2", "db1"],
      ["web1", "db1"],
      ["web1"],
      "app",
      "app",
      ["base"],
      true,
      ["all"],
      ["slow"],
      path.join(dir, "hosts.ini"),
    ]);
    assertEquals((view.get("groups") as Record<string, string[]>).web, ["web1", "web2"]);
    // a dependency's tasks look in their own role, then in the role depending on it, the task's directory,
    // then the play's
    assertEquals(view.get("ansible_search_path"), [
      path.join(dir, "roles/app"),
      path.join(dir, "roles/base"),
      path.join(dir, "roles/app/tasks"),
      dir,
    ]);
  });
});

Deno.test("a task sees ansible_host/ansible_ssh_host as the address it connects to; hostvars does not", () => {
  withInventory((dir) => {
    const { vars, pr, task } = setup(dir, new Set());
    const web1 = vars.forTask(pr, "web1", task);
    assertEquals([web1.get("ansible_host"), web1.get("ansible_ssh_host")], ["web1", "web1"]);
    assertEquals(vars.hostLevel(pr, "web1").get("ansible_host"), undefined);
    // one of the two set: the other follows it
    vars.applyFacts("web2", "set_fact", { ansible_facts: { ansible_ssh_host: "10.0.0.2" } });
    const web2 = vars.forTask(pr, "web2", task);
    assertEquals([web2.get("ansible_host"), web2.get("ansible_ssh_host")].map(String), [
      "10.0.0.2",
      "10.0.0.2",
    ]);
  });
});

Deno.test("outside a task a host's variables hold inventory, facts, include_vars, set_fact and extra vars", () => {
  withInventory((dir) => {
    const { vars, pr } = setup(dir, new Set());
    const view = vars.hostLevel(pr, "web1");
    assertEquals(["v1", "v2", "v9", "v12", "v13"].map((n) => String(view.get(n))), [
      "inventory",
      "facts",
      "include_vars",
      "set_fact",
      "extra vars",
    ]);
    assertEquals(view.get("v0"), undefined, "role defaults are not a host's variables");
  });
});

Deno.test("module facts: ansible_facts holds them without the ansible_ prefix, the top level as named, wrapped unsafe", () => {
  withInventory((dir) => {
    const { vars, pr } = setup(dir, new Set());
    vars.applyFacts("db1", "setup", { ansible_facts: { ansible_distribution: "Debian", pkg_mgr: "apt" } });
    const facts = vars.state("db1").facts;
    const text = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
    assertEquals(text(facts.namespaced), { distribution: "Debian", pkg_mgr: "apt" });
    assertEquals(text(facts.topLevel), { ansible_distribution: "Debian", pkg_mgr: "apt" });
    const view = vars.hostLevel(pr, "db1");
    assertEquals([view.get("distribution"), view.get("ansible_pkg_mgr")], [undefined, undefined]);
    // what a module reports is data, never template source
    assertEquals(facts.namespaced.pkg_mgr instanceof UnsafeString, true);
  });
});

Deno.test("a module's facts never set a connection, become or interpreter variable, nor ansible_facts itself", () => {
  withInventory((dir) => {
    const { vars, pr } = setup(dir, new Set());
    const left = vars.applyFacts("db1", "bogus_facts", {
      ansible_facts: {
        ansible_host: "evil",
        ansible_become_user: "root",
        ansible_python_interpreter: "/tmp/x",
        ansible_ssh_foo: 1,
        ansible_local_x: 2,
        ansible_ssh_host_key_rsa_public: "AAA",
        ansible_docker0_bridge: 3,
        ansible_facts: { discovered_interpreter_python: "touch" },
        add_host: 4,
        kept: 5,
      },
    });
    assertEquals([...left], [
      "ansible_host",
      "ansible_become_user",
      "ansible_python_interpreter",
      "ansible_ssh_foo",
      "ansible_local_x",
      "ansible_facts",
      "add_host",
    ]);
    assertEquals(Object.keys(vars.state("db1").facts.topLevel), [
      "ansible_ssh_host_key_rsa_public",
      "ansible_docker0_bridge",
      "kept",
    ]);
    const view = vars.hostLevel(pr, "db1");
    assertEquals(view.get("ansible_host"), undefined);
    // ansible_facts keeps every fact, the nested one under its own name without the prefix
    assertEquals(Object.keys(view.get("ansible_facts") as Record<string, unknown>), [
      "host",
      "become_user",
      "python_interpreter",
      "ssh_foo",
      "local_x",
      "ssh_host_key_rsa_public",
      "docker0_bridge",
      "facts",
      "add_host",
      "kept",
    ]);
  });
});

Deno.test("the fact cache: a host starts with its cached facts; gathered, setup and cacheable set_fact facts are written back", () => {
  withInventory((dir) => {
    const written: [string, Record<string, unknown>][] = [];
    const cache = {
      load: (h: string) =>
        h === "db1"
          ? { ansible_distribution: "Debian", ansible_local: { x: 1 }, _ansible_facts_gathered: true }
          : undefined,
      update: (h: string, facts: Record<string, unknown>) => written.push([h, facts]),
    };
    const { vars } = setup(dir, new Set(), cache);
    written.length = 0; // web1's facts that setup() applied
    // each cached key as it is at the top level (but the markers), in ansible_facts without its ansible_
    // prefix (not ansible_local's)
    assertEquals(Object.keys(vars.state("db1").facts.topLevel), ["ansible_distribution", "ansible_local"]);
    assertEquals(Object.keys(vars.state("db1").facts.namespaced), [
      "distribution",
      "ansible_local",
      "_ansible_facts_gathered",
    ]);
    assertEquals(vars.state("db1").facts.namespaced.distribution instanceof UnsafeString, true);
    assertEquals(vars.state("web2").facts.raw, {});
    vars.applyFacts("web2", "gather_facts", { ansible_facts: { pkg_mgr: "apt" } });
    vars.applyFacts("web2", "setup", { ansible_facts: { pkg_mgr: "apt" } });
    vars.applyFacts("web2", "set_fact", { ansible_facts: { a: 1 }, _ansible_facts_cacheable: true });
    vars.applyFacts("web2", "set_fact", { ansible_facts: { b: 2 } });
    vars.applyFacts("web2", "include_vars", { ansible_facts: { c: 3 } });
    assertEquals(written, [
      ["web2", { pkg_mgr: "apt", _ansible_facts_gathered: true }],
      ["web2", { pkg_mgr: "apt" }],
      ["web2", { a: 1 }],
    ]);
  });
});
