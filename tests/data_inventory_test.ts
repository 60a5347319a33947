// The inventory reads INI, YAML, directories and host lists as Ansible does: `mito inventory` output is
// compared with real ansible-inventory, and host patterns with `ansible --list-hosts`.
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./_assert.ts";
import { DENO, MAIN, ROOT, tool } from "./data_env.ts";
import { Inventory, InventoryError, loadVarsDir } from "../playbook/inventory/mod.ts";
import { expandHostEntry } from "../playbook/inventory/_hostpattern.ts";
import { graphInventory, listInventory, yamlInventory } from "../cli/cmd_inventory.ts";
import { pyJsonDump, pyYamlDump } from "../playbook/inventory/_dump.ts";
import { VaultSecrets } from "../playbook/vault/mod.ts";
import { iniValue } from "../playbook/inventory/_ini.ts";
import { PyFloat } from "../playbook/values.ts";

const FIX = `${ROOT}tests/fixtures/inventory`;
const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "mito-inv-home-"));
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME, LANG: "C.UTF-8", ANSIBLE_NOCOLOR: "1" };
const FIXTURES = [
  "ini_basic/hosts",
  "yaml_basic/hosts.yml",
  "dir_mixed",
  "priority/hosts",
  "script/inventory.py",
  "script", // a directory of two scripts, one without _meta (asked --host per host)
  "vaulted", // a !vault host var and an encrypted group_vars/all file
  "nested_ini", // three levels of children, repeated sections, odd values
  "strings/hosts.yml", // strings PyYAML must quote, fold at 80 columns or escape
];
const VAULT_ARGS = ["--vault-password-file", "vaulted.pass"];
const VAULT = VaultSecrets.fromOptions({ passwordFiles: [path.join(FIX, "vaulted.pass")] });

function ansible(bin: string, args: string[]): string {
  const r = spawnSync(tool(`/usr/bin/${bin}`), args, { cwd: FIX, encoding: "utf8", env: ENV });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const load = (src: string) => Inventory.load([src], { cwd: FIX, vault: VAULT });
const view = (src: string, showVars = false, exportMode = false) => ({
  inv: load(src),
  exportMode,
  showVars,
});

// ansible-inventory takes a second or more per run: every run a test needs starts at once.
function ansibleAsync(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      tool(`/usr/bin/${bin}`),
      args,
      { cwd: FIX, env: ENV, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${bin} ${args.join(" ")} failed: ${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

for (const src of FIXTURES) {
  Deno.test(`--list, --list --export, --graph --vars and --list --yaml of ${src} are ansible-inventory's`, async () => {
    const [list, exported, graph, yaml] = await Promise.all([
      ansibleAsync("ansible-inventory", ["-i", src, "--list", ...VAULT_ARGS]),
      ansibleAsync("ansible-inventory", ["-i", src, "--list", "--export", ...VAULT_ARGS]),
      ansibleAsync("ansible-inventory", ["-i", src, "--graph", "--vars", ...VAULT_ARGS]),
      ansibleAsync("ansible-inventory", ["-i", src, "--list", "--yaml", ...VAULT_ARGS]),
    ]);
    const ours = pyJsonDump(listInventory(view(src))) + "\n";
    assertEquals(JSON.parse(ours), JSON.parse(list));
    assertEquals(ours, list);
    assertEquals(pyJsonDump(listInventory(view(src, false, true))) + "\n", exported);
    assertEquals(graphInventory(view(src, true), "all") + "\n", graph);
    assertEquals(pyYamlDump(yamlInventory(view(src))), yaml);
  });
}

Deno.test("the mito inventory command prints --host and --graph GROUP like ansible-inventory", () => {
  const run = (args: string[]) => {
    const r = spawnSync(DENO, ["run", "-A", "-q", MAIN, "inventory", ...args], {
      cwd: FIX,
      encoding: "utf8",
      env: ENV,
    });
    assertEquals(r.status, 0, r.stderr);
    return r.stdout;
  };
  const a = ["-i", "yaml_basic/hosts.yml", "--host", "web1.example.com"];
  assertEquals(run(a), ansible("ansible-inventory", a));
  const g = ["-i", "yaml_basic/hosts.yml", "--graph", "site"];
  assertEquals(
    run(["-i", "yaml_basic/hosts.yml", "--graph"]),
    ansible("ansible-inventory", ["-i", "yaml_basic/hosts.yml", "--graph"]),
  );
  assertEquals(run(g), ansible("ansible-inventory", g));
  for (
    const args of [
      ["-i", "ini_basic/hosts", "--host", "db2", "-e", "ntp=override", "-e", '{"extra": [1, 2]}'],
      ["-i", "ini_basic/hosts", "--graph", "--vars", "--playbook-dir", "playbook_dir", "-e", "x=1"],
      ["-i", "ini_basic/hosts", "--list", "--export", "--playbook-dir", "playbook_dir"],
      ["-i", "ini_basic/hosts", "--list", "--yaml", "--playbook-dir", "playbook_dir"],
    ]
  ) assertEquals(run(args), ansible("ansible-inventory", args), args.join(" "));
  const l = ["-i", "one.example.com,two:2200,", "--list"];
  assertEquals(JSON.parse(run(l)), JSON.parse(ansible("ansible-inventory", l)));
});

Deno.test("host patterns and limits select the hosts `ansible --list-hosts` selects, in its order", async () => {
  // Ansible walks groups deeper than one level in Python set order, which varies from run to run;
  // there only the selection is compared, and mito keeps the declaration order.
  const cases: [string, string | undefined, "ordered" | "set"][] = [
    ["all", undefined, "set"],
    ["app:!db", undefined, "ordered"],
    ["web:&db", undefined, "ordered"],
    ["db,ungrouped", undefined, "ordered"],
    ["web*", undefined, "ordered"],
    ["~web0[13]\\..*", undefined, "ordered"],
    ["app[1:3]", undefined, "ordered"],
    ["app[-1]", undefined, "ordered"],
    ["web-?:db2", undefined, "ordered"],
    ["all", "web0[12]*:db1", "set"],
    ["app", "!web", "ordered"],
    ["localhost", undefined, "ordered"],
  ];
  const inv = load("ini_basic/hosts");
  const outputs = await Promise.all(
    cases.map(([pattern, limit]) =>
      ansibleAsync("ansible", [
        "-i",
        "ini_basic/hosts",
        pattern,
        "--list-hosts",
        ...(limit ? ["-l", limit] : []),
      ])
    ),
  );
  for (const [i, [pattern, limit, mode]] of cases.entries()) {
    let theirs = outputs[i].split("\n").slice(1).map((s) => s.trim()).filter(Boolean);
    let ours = inv.selectHosts(pattern, { limit: limit ? [limit] : undefined }).map((h) => h.name);
    if (mode === "set") [theirs, ours] = [theirs.sort(), ours.sort()];
    assertEquals(ours, theirs, `pattern ${pattern} limit ${limit}`);
  }
  assertEquals(inv.selectHosts("all").map((h) => h.name), [
    "standalone",
    "other",
    "web01.example.com",
    "web02.example.com",
    "web03.example.com",
    "web-a",
    "web-b",
    "web-c",
    "quoted",
    "db1",
    "db2",
    "lonely",
  ]);
});

Deno.test("--limit @file reads one pattern per line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-limit-"));
  fs.writeFileSync(path.join(dir, "retry"), "db2\nweb-a\n");
  const inv = Inventory.load([path.join(FIX, "ini_basic/hosts")], { cwd: dir });
  assertEquals(inv.selectHosts("all", { limit: ["@retry"] }).map((h) => h.name), ["web-a", "db2"]);
});

Deno.test("ranges: numeric with padding and step, letters, several ranges, ports", () => {
  assertEquals(expandHostEntry("web[01:03].x").hosts, ["web01.x", "web02.x", "web03.x"]);
  assertEquals(expandHostEntry("n[1:9:4]").hosts, ["n1", "n5", "n9"]);
  assertEquals(expandHostEntry("db-[a:c]").hosts, ["db-a", "db-b", "db-c"]);
  assertEquals(expandHostEntry("r[1:2]-[a:b]").hosts, ["r1-a", "r1-b", "r2-a", "r2-b"]);
  assertEquals(expandHostEntry("h[1:2]:2222"), { hosts: ["h1", "h2"], port: 2222 });
  assertEquals(expandHostEntry("[2001:db8::1]:22"), { hosts: ["2001:db8::1"], port: 22 });
  assertEquals(expandHostEntry("2001:db8::1"), { hosts: ["2001:db8::1"], port: undefined });
  assertThrows(() => expandHostEntry("w[01:3]"), Error, "equal-length");
});

Deno.test("no sources: only the implicit localhost, with local connection and the controller's python", () => {
  const inv = Inventory.load([]);
  assertEquals(inv.hosts(), []);
  assertEquals(inv.selectHosts("all"), []);
  const [lh] = inv.selectHosts("localhost");
  assertEquals(lh.implicit, true);
  assertEquals(lh.vars.ansible_connection, "local");
  assertEquals(
    lh.vars.ansible_python_interpreter,
    fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "/usr/bin/python",
  );
  assertEquals(inv.groupNamesOf(lh), []);
  assertEquals(inv.groupsMap(), { all: [], ungrouped: [] });
});

Deno.test("a localhost listed in the inventory is an ordinary host", () => {
  const inv = Inventory.load(["localhost,"]);
  const [lh] = inv.selectHosts("all");
  assertEquals([lh.name, lh.implicit, lh.vars], ["localhost", undefined, {}]);
  // any of localhost's names finds a listed 127.0.0.1, as `ansible -i 127.0.0.1,web, localhost` does
  assertEquals(Inventory.load(["127.0.0.1,web,"]).selectHosts("localhost").map((h) => h.name), ["127.0.0.1"]);
});

Deno.test("group_names, groups and host vars follow Ansible's precedence", () => {
  const inv = load("ini_basic/hosts");
  assertEquals(inv.groupNamesOf("web01.example.com"), ["app", "db", "web"]);
  assertEquals(inv.groupNamesOf("standalone"), ["ungrouped"]);
  const groups = inv.groupsMap();
  assertEquals(groups.db, ["db1", "db2", "web01.example.com"]);
  assertEquals(groups.later, ["lonely"]);
  const v = inv.hostVars("db1");
  // host_vars file beats the inline host var; group_vars/all beats [all:vars]
  assertEquals([v.ansible_port, v.region, v.timeout, v.nothing], [6543, "from-all-file", 30, null]);
  const p = load("priority/hosts").hostVars("h1");
  assertEquals([p.who, p.deep], ["c", "c"]);
});

Deno.test("playbook group_vars/host_vars layer over the inventory's at their documented places", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-pbvars-"));
  fs.mkdirSync(path.join(dir, "group_vars"));
  fs.mkdirSync(path.join(dir, "host_vars"));
  fs.writeFileSync(
    path.join(dir, "group_vars", "all.yml"),
    "region: playbook-all\nfrom_group_vars: pb-all\n",
  );
  fs.writeFileSync(path.join(dir, "group_vars", "web.yml"), "from_group_vars: pb-web\n");
  fs.writeFileSync(path.join(dir, "host_vars", "quoted.yml"), "note: pb-host\n");
  const v = load("ini_basic/hosts").hostVars("quoted", { playbookDirs: [dir] });
  assertEquals([v.region, v.from_group_vars, v.note], ["playbook-all", "pb-web", "pb-host"]);
});

Deno.test("add_host and group_by style additions join the right groups", () => {
  const inv = load("ini_basic/hosts");
  inv.addHost("new1:2200", { groups: ["dyn"], vars: { k: 1 } });
  assertEquals(inv.getHost("new1")!.vars, { ansible_port: 2200, k: 1 });
  assertEquals(inv.groupNamesOf("new1"), ["dyn"]);
  assertEquals(inv.selectHosts("dyn").map((h) => h.name), ["new1"]);
  assert(inv.selectHosts("all").some((h) => h.name === "new1"));
  inv.addGroup("os_linux", { parent: "app" });
  inv.addHost("db2", { groups: ["os_linux"] });
  assertEquals(inv.groupNamesOf("db2"), ["app", "db", "os_linux"]);
  inv.addHost("solo");
  assertEquals(inv.groupNamesOf("solo"), ["ungrouped"]);
});

Deno.test("INI values: Python literals are evaluated, other text stays a string", () => {
  const inv = load("ini_basic/hosts");
  const q = inv.getHost("quoted")!.vars;
  assertEquals(q, {
    ansible_host: "10.0.0.5",
    note: "hello world",
    list: [1, 2, "x"],
    num: "042",
    escaped: 'a"b',
  });
  assertEquals(inv.getHost("web-a")!.vars, { tier: "frontend", enabled: true, ratio: 0.5 });
});

function writeInv(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-badinv-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Loads one source; returns the warnings, and the hosts of the inventory built. */
function loadWarned(file: string, opts: { anyUnparsedIsFailed?: boolean } = {}) {
  const warnings: string[] = [];
  const inv = Inventory.load([file], { onWarning: (m) => warnings.push(m), ...opts });
  return { warnings, hosts: inv.hosts().map((h) => h.name), parsed: inv.parsed };
}

Deno.test("a bad inventory source is skipped with warnings naming the file, line and cause, as ansible-playbook", () => {
  const failed = (f: string, plugin: string, cause: string) =>
    `\n* Failed to parse ${f} with ${plugin} plugin: ${cause}`;
  const cases: [string, string, (f: string) => string[]][] = [
    // `a`, read before the bad line, is dropped too: a source is used whole or not at all.
    ["hosts.ini", "[web]\na\n[web:nonsense]\nb\n", (f) => [
      failed(f, "ini", `${f}:3: Section [web:nonsense] has unknown type: nonsense`),
    ]],
    ["hosts.ini", "[web:children]\nmissing\n", (f) => [
      failed(f, "ini", `${f}:2: Section [web:children] includes undefined group: missing`),
    ]],
    ["hosts.ini", "[web]\nhost1 novalue\n", (f) => [
      failed(f, "ini", `${f}:2: Expected key=value host variable assignment, got: novalue`),
    ]],
    ["hosts.ini", "[db:vars]\nx=1\n", (f) => [
      failed(f, "ini", `${f}:1: Section [db:vars] not valid for undefined group: db`),
    ]],
    ["hosts.yml", "all:\n  hosts: [a, b]\n", (f) => [
      failed(
        f,
        "auto",
        `no root 'plugin' key found, '${f}' is not a valid YAML inventory plugin config file`,
      ),
      failed(
        f,
        "yaml",
        `${f}:2: Invalid "hosts" entry for "all" group, requires a dictionary, found ` +
          `"<class 'ansible.parsing.yaml.objects.AnsibleSequence'>" instead.`,
      ),
      failed(
        f,
        "ini",
        // Ansible names no line for this one
        `Invalid host pattern 'all:' supplied, ending in ':' is not allowed, this character is ` +
          "reserved to provide a port.",
      ),
    ]],
  ];
  for (const [name, text, failures] of cases) {
    const file = writeInv(name, text);
    assertEquals(loadWarned(file), {
      warnings: [
        ...failures(file),
        `Unable to parse ${file} as an inventory source`,
        "No inventory was parsed, only implicit localhost is available",
      ],
      hosts: [],
      parsed: false,
    });
    assertThrows(
      () => loadWarned(file, { anyUnparsedIsFailed: true }),
      InventoryError,
      `Completely failed to parse inventory source ${file}`,
    );
  }
  const f5 = writeInv("hosts.yml", "all:\n  hosts:\n    a: 1\n   b: 2\n");
  assertStringIncludes(loadWarned(f5).warnings[1], `* Failed to parse ${f5} with yaml plugin: ${f5}:4:`);
});

Deno.test("inventory_unparsed_failure: no source parsed at all is an error; one good source is enough", () => {
  const bad = writeInv("hosts.ini", "[web\n");
  const good = writeInv("good.ini", "good1\n");
  assertThrows(
    () => Inventory.load([bad], { unparsedIsFailed: true, onWarning: () => {} }),
    InventoryError,
    "No inventory was parsed, please check your configuration and options.",
  );
  const inv = Inventory.load([good, bad], { unparsedIsFailed: true, onWarning: () => {} });
  assertEquals(inv.hosts().map((h) => h.name), ["good1"]);
});

// Each is a source ansible-playbook 2.14 cannot parse either: it warns and goes on without it. mito prints
// the same warnings, byte for byte where Ansible's own cause names file and line ("same"); where Ansible
// passes on a Python error ("not enough values to unpack"), mito's cause names them instead.
const MALFORMED_INI: { what: string; text: string; cause: string; same: boolean }[] = [
  {
    what: "an unclosed section header",
    text: "[web\nhost1\n",
    cause:
      ":1: Invalid host pattern '[web' supplied, '[' only opens a range such as web[1:3] (or encloses an " +
      "IPv6 address)",
    same: false,
  },
  {
    what: "a '[' that opens no range",
    text: "[web]\nhost[1]\n",
    cause: ":2: host range must be begin:end or begin:end:step",
    same: false,
  },
  {
    what: "a bad host range",
    text: "[web]\nh[1:x]\n",
    cause: ":2: invalid host range [1:x]: begin and end must be numbers or letters",
    same: false,
  },
  {
    what: "a zero range step",
    text: "[web]\nh[1:3:0]\n",
    cause: ":2: host range step must be a positive integer, got '0'",
    same: false,
  },
  {
    what: "key=value in a group header",
    text: "[web x=1]\nhost1\n",
    cause:
      ":1: Invalid section entry: '[web x=1]'. Please make sure that there are no spaces in the section " +
      "entry, and that there are no other invalid characters",
    same: true,
  },
  {
    what: "an unknown section kind",
    text: "[g:badkind]\nhost1\n",
    cause: ":1: Section [g:badkind] has unknown type: badkind",
    same: true,
  },
  {
    what: "a :vars-only section with a non key=value line",
    text: "[g:vars]\nnotkv\n",
    cause: ":2: Expected key=value, got: notkv",
    same: true,
  },
  {
    what: "a host name with a space",
    text: "[web]\nhost one\n",
    cause: ":2: Expected key=value host variable assignment, got: one",
    same: true,
  },
];

/** A one-task play on all hosts of this inventory, by ansible-playbook (a) and mito run (m), beside it. */
function playAllWith(file: string) {
  const dir = path.dirname(file);
  fs.writeFileSync(path.join(dir, "p.yml"), "- hosts: all\n  gather_facts: false\n  tasks: [debug: msg=x]\n");
  const run = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 120_000, env: ENV });
  return {
    a: run("/usr/bin/ansible-playbook", ["-i", file, "p.yml"]),
    m: run(DENO, ["run", "-A", "-q", MAIN, "run", "-i", file, "p.yml"]),
  };
}

for (const { what, text, cause, same } of MALFORMED_INI) {
  Deno.test(`malformed INI inventory, ${what}: skipped with a warning naming file and line, as ansible-playbook does`, () => {
    const file = writeInv("hosts.ini", text);
    const dir = path.dirname(file);
    try {
      const { warnings, hosts } = loadWarned(file);
      assertEquals(hosts, []);
      assertEquals(warnings.slice(-3), [
        `\n* Failed to parse ${file} with ini plugin: ${file}${cause}`,
        `Unable to parse ${file} as an inventory source`,
        "No inventory was parsed, only implicit localhost is available",
      ]);
      const { a, m } = playAllWith(file);
      assertEquals([m.status, m.stdout], [a.status, a.stdout]);
      assertEquals(m.status, 0);
      assertStringIncludes(m.stdout, "skipping: no hosts matched");
      const unwrapped = (err: string) => err.replace(/\n(?!\[WARNING\])/g, " ");
      assertStringIncludes(unwrapped(m.stderr), `with ini plugin: ${file}${cause}\n`);
      if (same) assertEquals(m.stderr, a.stderr);
      else {
        // The same warnings in the same order, but for the cause.
        const heads = (err: string) => unwrapped(err).split("\n").map((l) => l.replace(/( plugin:).*/, "$1"));
        assertEquals(heads(m.stderr), heads(a.stderr));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

Deno.test("a source that fails halfway: Ansible's warnings, but none of its hosts (Ansible runs those before the bad line)", () => {
  const file = writeInv("hosts", "host1\n[web x=1]\nhost2\n");
  const dir = path.dirname(file);
  try {
    const { a, m } = playAllWith(file);
    assertEquals([m.status, a.status], [0, 0]);
    assertStringIncludes(a.stdout, "ok: [host1]");
    assertStringIncludes(m.stdout, "skipping: no hosts matched");
    // The same warnings (the yaml and ini plugins' causes, then the verdicts); with no host left, mito
    // adds the one Ansible gives for an empty host list.
    assertEquals(
      m.stderr,
      a.stderr + "[WARNING]: provided hosts list is empty, only localhost is available. Note that\n" +
        "the implicit localhost does not match 'all'\n",
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("loadVarsDir reads name, name.yml… or every file of name/ in sorted order", () => {
  assertEquals(loadVarsDir(path.join(FIX, "yaml_basic/group_vars"), "web"), {
    web_main: "overridden",
    shadow: "web-file",
    web_extra: 2,
  });
  assertEquals(loadVarsDir(path.join(FIX, "ini_basic/group_vars"), "all"), {
    all_file_var: 1,
    region: "from-all-file",
  });
  assertEquals(loadVarsDir(path.join(FIX, "ini_basic/group_vars"), "nothing"), undefined);
  assertEquals(loadVarsDir(path.join(FIX, "vaulted/group_vars"), "all", { vault: VAULT }), {
    plain_all: 1,
    vaulted_group_var: "from-encrypted-file",
    shared: "all",
  });
  assert(Inventory.load([]).sources.length === 0);
});

Deno.test("hash_behaviour=merge combines mappings from groups and hosts at every depth", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-merge-"));
  fs.writeFileSync(
    path.join(dir, "hosts.yml"),
    "all:\n  vars:\n    cfg: {a: 1, sub: {x: 1}}\n  hosts:\n    h:\n      cfg: {b: 2, sub: {y: 2}}\n",
  );
  const inv = Inventory.load([path.join(dir, "hosts.yml")]);
  assertEquals(inv.hostVars("h").cfg, { b: 2, sub: { y: 2 } });
  assertEquals(inv.hostVars("h", { hashBehaviour: "merge" }).cfg, { a: 1, b: 2, sub: { x: 1, y: 2 } });
});

Deno.test("INI values are evaluated as Python's ast.literal_eval does (else kept as text)", () => {
  const inputs = [
    "1",
    "-5",
    "+5",
    "--5",
    "0x1F",
    "0o17",
    "0b11",
    "1_000",
    "1e3",
    "1.5",
    ".5",
    "5.",
    "-2.0",
    "042",
    "00",
    "0",
    "True",
    "False",
    "None",
    "true",
    "yes",
    "Trueish",
    "'quoted'",
    '"dq"',
    "'a' 'b'",
    "[1, 2, 'x']",
    "(1, 2)",
    "(1,)",
    "()",
    "{'k': 'v', 'n': [1, None]}",
    "{}",
    "{1, 2}",
    "{'a': 1,}",
    "[1, 2,]",
    "1 # note",
    "hello # note",
    "[1,2",
    "'esc\\\\n\\\\t\\\\x41\\\\u00e9'",
    "-True",
    "1+2",
    "abc",
    "",
    "/path/to/x",
    "a=b",
    "10.0.0.1",
    "192.168.1.1:22",
    "{'a': {'b': [True, False]}}",
    "'''triple'''",
    // where the two former readers disagreed
    "r'a\\\\b'",
    "u'x'",
    "1, 2",
    "-(5)",
    "--5",
    "{1, True}",
    "{1: 2, 3.0: 4}",
  ];
  const py = `
import ast, json, sys
out = []
for s in json.load(sys.stdin):
    try:
        v = ast.literal_eval(s)
    except (ValueError, SyntaxError):
        v = s
    if isinstance(v, (tuple, set)): v = list(v)
    if isinstance(v, float) and v.is_integer(): v = {"float": v}
    out.append(v)
print(json.dumps(out))
`;
  const r = spawnSync(tool("/usr/bin/python3"), ["-c", py], {
    input: JSON.stringify(inputs),
    encoding: "utf8",
  });
  assertEquals(r.status, 0, r.stderr);
  const ours = inputs.map((s) => {
    const v = iniValue(s);
    return v instanceof PyFloat ? { float: v.value } : v;
  });
  assertEquals(ours, JSON.parse(r.stdout));
});

Deno.test("INI values beyond 2^53 are exact ints, as Python's literal_eval reads them", () => {
  assertEquals(
    ["1234567890123456789", "-0x1FFFFFFFFFFFFFFFF", "0b" + "1".repeat(60), "[12345678901234567891]"].map(
      iniValue,
    ),
    [1234567890123456789n, -0x1FFFFFFFFFFFFFFFFn, 2n ** 60n - 1n, [12345678901234567891n]],
  );
});

Deno.test("an empty YAML inventory is empty; without ansible-core, a plugin config mito lacks is skipped with warnings", () => {
  const empty = writeInv("hosts.yml", "# nothing yet\n");
  assertEquals(Inventory.load([empty]).hosts(), []);
  const plugin = writeInv("aws_ec2.yml", "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n");
  const warnings: string[] = [];
  // no Python to run ansible-core's plugin with (an air-gapped bastion)
  const ansiblePlugins = { python: "/nonexistent/python3", basedirs: [] };
  const inv = Inventory.load([plugin], { onWarning: (m) => warnings.push(m), ansiblePlugins });
  assertEquals(inv.hosts(), []);
  assertEquals(warnings, [
    `\n* Failed to parse ${plugin} with auto plugin: inventory plugin 'amazon.aws.aws_ec2' is not supported by mito`,
    // then, as in Ansible, the other enabled plugins refuse it too
    `\n* Failed to parse ${plugin} with yaml plugin: Plugin configuration YAML file, not YAML inventory`,
    `\n* Failed to parse ${plugin} with ini plugin: Invalid host pattern 'plugin:' supplied, ending in ':' is ` +
    "not allowed, this character is reserved to provide a port.",
    `Unable to parse ${plugin} as an inventory source`,
    "No inventory was parsed, only implicit localhost is available",
  ]);
});

Deno.test("mito inventory warns about a bad source as ansible-inventory does; any_unparsed_is_failed makes it exit 1", () => {
  const bad = writeInv("hosts.ini", "[web]\nok1\n[web:children]\nnope\n");
  const inventory = (cmd: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(cmd[0], [...cmd.slice(1), "-i", bad, "--list"], {
      encoding: "utf8",
      env: { ...ENV, ...env },
    });
    return [r.status, r.stdout, r.stderr];
  };
  const mito = [DENO, "run", "-A", "-q", MAIN, "inventory"];
  const ansible = ["/usr/bin/ansible-inventory"];
  const r = inventory(mito);
  assertEquals(r, inventory(ansible));
  // Wrapped at 79 columns as Ansible wraps; here with the line breaks undone.
  assertEquals(
    String(r[2]).replace(/\n(?!\[WARNING\]|$)/g, " "),
    [
      `[WARNING]:  * Failed to parse ${bad} with ini plugin: ${bad}:4: Section [web:children] includes ` +
      "undefined group: nope",
      `[WARNING]: Unable to parse ${bad} as an inventory source`,
      "[WARNING]: No inventory was parsed, only implicit localhost is available",
      "",
    ].join("\n"),
  );
  const failing = { ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: "1" };
  const failed = inventory(mito, failing);
  assertEquals(failed, inventory(ansible, failing));
  assertEquals(failed.slice(0, 2), [1, ""]);
  assertStringIncludes(String(failed[2]), `ERROR! Completely failed to parse inventory source ${bad}\n`);
  const usage = spawnSync(DENO, ["run", "-A", "-q", MAIN, "inventory", "-i", bad], {
    encoding: "utf8",
    env: ENV,
  });
  assertEquals(usage.status, 5);
});
