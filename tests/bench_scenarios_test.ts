// The playbook benchmark's pure parts (scripts/bench/_scenarios.ts, _report.ts): generated playbooks and
// inventories, scenario selection, and the exact tables and document section it writes. No timing here.
// @ts-types="../node_modules/yaml/dist/index.d.ts"
import { parse } from "yaml";
import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";
import {
  ansibleCfgText,
  catSshCommand,
  inventoryText,
  knownHostsText,
  scenarioFiles,
  SCENARIOS,
  selectScenarios,
  sshCompression,
  type Target,
  textFileLines,
  treeFiles,
  UnknownScenarioError,
} from "../scripts/bench/_scenarios.ts";
import {
  chartSvg,
  evaluateTargets,
  median,
  mergeSummaries,
  previousSummaries,
  replaceSection,
  resourceTable,
  summarize,
  type Summary,
  targetTable,
  wallTable,
} from "../scripts/bench/_report.ts";
import { parseRunners, recapOk } from "../scripts/bench/_runners.ts";

const target: Target = {
  host: "127.0.0.1",
  port: 2222,
  user: "root",
  identityFile: "/k/id",
  knownHostsFile: "/k/known_hosts",
  python: "/usr/bin/python3",
  remoteDir: "/r",
  controlDir: "/cp",
};
const assets = {
  treeDir: "/a/tree",
  bigFiles: { [32 * 1024 * 1024]: "/a/32", [320 * 1024 * 1024]: "/a/320" },
  textFiles: { 100_000_000: "/a/text" },
};

Deno.test("every scenario's files are YAML that parse into one play ending with a check", () => {
  for (const s of SCENARIOS) {
    const files = scenarioFiles(s, target, assets);
    const plays = parse(files["playbook.yml"]);
    assertEquals(plays.length, 1, s.name);
    assertEquals(plays[0].hosts, "all");
    assertEquals(plays[0].gather_facts, Boolean(s.gatherFacts));
    assertEquals(plays[0].become, s.sudo ? true : undefined, s.name);
    const tasks = (plays[0].tasks ?? plays[0].post_tasks) as Record<string, unknown>[];
    assert(tasks.some((t) => "assert" in t), `${s.name} checks its result`);
    for (const [name, text] of Object.entries(files)) if (name.endsWith(".yml")) parse(text);
  }
});

Deno.test("loop-100-tasks has 100 command tasks and checks each registered result", () => {
  const s = SCENARIOS.find((x) => x.name === "loop-100-tasks")!;
  const tasks = parse(scenarioFiles(s, target, assets)["playbook.yml"])[0].tasks;
  assertEquals(tasks.filter((t: Record<string, unknown>) => t.command === "hostname").length, 100);
  assertEquals(tasks.at(-1).assert.that.length, 100);
  assertEquals(tasks.at(-1).assert.that[99], "bench_t100.rc == 0 and bench_t100.stdout != ''");
});

Deno.test("role-30-tasks: a role of 30 file, template, lineinfile and command tasks, checked after it", () => {
  const s = SCENARIOS.find((x) => x.name === "role-30-tasks")!;
  const files = scenarioFiles(s, target, assets);
  const play = parse(files["playbook.yml"])[0];
  assertEquals(play.roles, ["bench"]);
  const tasks = parse(files["roles/bench/tasks/main.yml"]) as Record<string, unknown>[];
  assertEquals(tasks.length, 30);
  const kinds = tasks.map((t) => ["file", "template", "lineinfile", "command"].find((k) => k in t));
  assertEquals(kinds.slice(0, 6), ["file", "file", "file", "template", "lineinfile", "command"]);
  assertEquals(kinds.filter((k) => k === "template").length, 7);
  assertEquals(tasks[4], {
    lineinfile: {
      path: "/r/role-30-tasks/site1/app.conf",
      regexp: "^port=",
      line: "port={{ bench_port + 1 }}",
    },
  });
  assertEquals(
    files["roles/bench/templates/app.conf.j2"],
    "name=site\nport={{ bench_port }}\nworkers={{ bench_workers }}\n",
  );
  assertEquals(
    play.post_tasks[0].assert.that.at(-1),
    "bench_site7.stdout_lines == ['name=site', 'port=8007', 'workers=4']",
  );
});

Deno.test("the -root scenarios are their plain twins logging in as root, in the same group", () => {
  const roots = SCENARIOS.filter((x) => x.login === "root");
  assertEquals(roots.map((x) => x.name), [
    "loop-100-items-root",
    "loop-100-tasks-root",
    "role-30-tasks-root",
  ]);
  for (const r of roots) {
    const plain = SCENARIOS.find((x) => x.name === r.name.replace(/-root$/, ""))!;
    assertEquals({ ...r, name: plain.name, login: undefined }, { ...plain, login: undefined });
  }
  assertEquals(selectScenarios(["loop-100-items"], false).map((x) => x.name), [
    "loop-100-items",
    "loop-100-items-root",
  ]);
});

Deno.test("fanout checks one distinct ssh connection per host", () => {
  const s = SCENARIOS.find((x) => x.name === "fanout-200")!;
  const tasks = parse(scenarioFiles(s, target, assets)["playbook.yml"])[0].tasks;
  assertEquals(tasks.length, 11);
  assertEquals(tasks[0], { shell: "echo $SSH_CONNECTION", register: "bench_conn" });
  assertEquals(tasks[10].assert.that, [
    "ansible_play_hosts | length == 200",
    "ansible_play_hosts | map('extract', hostvars, ['bench_conn', 'stdout']) | unique | list | length == 200",
  ]);
  assertEquals(tasks[10].run_once, true);
});

Deno.test("file-transfer copies the asset of its size into the runner's directory and checks the size", () => {
  const s = SCENARIOS.find((x) => x.name === "file-transfer-32M-sudo")!;
  const tasks = parse(scenarioFiles(s, target, assets)["playbook.yml"])[0].tasks;
  assertEquals(tasks[2], { copy: "src=/a/32 dest=/r/file-transfer-32M-sudo.bin mode=0600" });
  assertEquals(tasks[4].assert.that, ["bench_stat.stat.size == 33554432"]);
});

Deno.test("big-values registers 100 MB, writes it back, looks up a 100 MB text file and checks all three", () => {
  const s = SCENARIOS.find((x) => x.name === "big-values-100M")!;
  const tasks = parse(scenarioFiles(s, target, assets)["playbook.yml"])[0].tasks;
  assertEquals(tasks[2], { shell: "head -c 100000000 /dev/zero | tr '\\0' a", register: "bench_big" });
  assertEquals(tasks[3].assert.that, ["bench_big.stdout | length == 100000000"]);
  assertEquals(tasks[4].copy, { content: "{{ bench_big.stdout }}", dest: "/r/big-values-100M/out.txt" });
  assertEquals(tasks[6].set_fact, { bench_file: "{{ lookup('file', '/a/text') }}" });
  // 1639345 whole lines of 61 bytes; the lookup strips the last newline.
  assertEquals(textFileLines(100_000_000), 1639345);
  assertEquals(tasks[7].assert.that, [
    "bench_stat.stat.size == 100000000",
    "bench_file | length == 100000044",
    "bench_file.count('\\n') == 1639344",
  ]);
  assertEquals(selectScenarios([], true).some((x) => x.kind === "big-values"), false);
});

Deno.test("big-values' target is the controller's peak RSS over the largest value, others' shown beside", () => {
  const s = (runner: string, rss: number): Summary => ({
    scenario: "big-values-100M",
    link: "loopback",
    runner,
    runs: 1,
    ok: 1,
    wall_s: 1,
    max_rss_mib: rss,
    ...meta,
  });
  const targets = evaluateTargets([s("ansible", 700), s("mito", 380), s("mito-bin", 400)], {}, {
    "big-values-100M": 100_000_000,
  });
  assertEquals(targetTable(targets).slice(2), [
    "| big-values-100M: controller peak RSS / largest value | mito | mito's built-in | loopback | 3.98× (380.0 MiB; ansible 7.34×) | ≤ 4× | met |",
    "| big-values-100M: controller peak RSS / largest value | mito-bin | mito's built-in | loopback | 4.19× (400.0 MiB; ansible 7.34×) | ≤ 4× | missed |",
  ]);
});

Deno.test("loop-100-items states both module paths: Ansible's modules (mito-auto) against mito's and Mitogen", () => {
  const s = (runner: string, wall: number): Summary => ({
    scenario: "loop-100-items",
    link: "loopback",
    runner,
    runs: 3,
    ok: 3,
    wall_s: wall,
    ...meta,
  });
  const targets = evaluateTargets([s("mitogen", 3.6), s("mito", 0.6), s("mito-auto", 0.72)], {});
  assertEquals(targetTable(targets).slice(2), [
    "| loop-100-items on loopback | mito | mito's built-in | loopback | 6.00× (0.60 s vs 3.60 s) | ≥ 5× Mitogen | met |",
    "| loop-100-items on loopback | mito-auto | Ansible's (the default) | loopback | 5.00× (0.72 s vs 3.60 s) | ≥ 5× Mitogen | met |",
    "| loop-100-items, Ansible's command module vs mito's | mito-auto | Ansible's (the default) | loopback | 1.20× (0.72 s vs 0.60 s) | ≤ 1.25× mito | met |",
  ]);
  // Only the scenarios that ask for Ansible's modules are run by mito-auto.
  assertEquals(SCENARIOS.filter((x) => x.ansibleModules).map((x) => x.name), [
    "loop-100-items",
    "loop-100-items-root",
    "loop-100-collection",
    "loop-100-tasks",
    "loop-100-tasks-root",
    "role-30-tasks",
    "role-30-tasks-root",
  ]);
});

Deno.test("loop-100-collection loops a collection's module and is set beside the command loop of its runner", () => {
  const sc = SCENARIOS.find((x) => x.name === "loop-100-collection")!;
  const tasks = parse(scenarioFiles(sc, target, assets)["playbook.yml"])[0].tasks;
  const dir = `${target.remoteDir}/loop-100-collection`;
  assertEquals(tasks[0], {
    "community.general.ini_file": { path: `${dir}/bench.ini`, section: "bench", option: "item", value: "1" },
    with_sequence: "start=1 end=100",
    register: "bench_loop",
  });
  assertEquals(tasks[1].assert.that, [
    "bench_loop.results | length == 100",
    `bench_loop.results | map(attribute='path') | select('equalto', '${dir}/bench.ini') | list | length == 100`,
    "bench_loop.results | selectattr('changed') | list | length <= 1",
  ]);
  const s = (scenario: string, runner: string, wall: number): Summary => ({
    scenario,
    link: "loopback",
    runner,
    runs: 3,
    ok: 3,
    wall_s: wall,
    ...meta,
  });
  const targets = evaluateTargets([
    s("loop-100-items", "mito", 1),
    s("loop-100-collection", "mito", 1.25),
    s("loop-100-items", "mito-auto", 1),
    s("loop-100-collection", "mito-auto", 1.4),
  ], {});
  assertEquals(targetTable(targets).slice(2), [
    "| loop-100-items, Ansible's command module vs mito's | mito-auto | Ansible's (the default) | loopback | 1.00× (1.00 s vs 1.00 s) | ≤ 1.25× mito | met |",
    "| loop-100-collection (community.general.ini_file) vs loop-100-items (command) | mito | mito's built-in | loopback | 1.25× (1.25 s vs 1.00 s) | ≤ 1.3× command | met |",
    "| loop-100-collection (community.general.ini_file) vs loop-100-items (command) | mito-auto | Ansible's (the default) | loopback | 1.40× (1.40 s vs 1.00 s) | ≤ 1.3× command | missed |",
  ]);
});

Deno.test("the inventory gives every host its own ControlPath to the same sshd", () => {
  assertEquals(
    inventoryText(2, target),
    [
      "[targets]",
      "h1 ansible_host=127.0.0.1 ansible_port=2222 ansible_ssh_common_args='-o UserKnownHostsFile=/k/known_hosts " +
      "-o StrictHostKeyChecking=yes -o ControlPath=/cp/h1'",
      "h2 ansible_host=127.0.0.1 ansible_port=2222 ansible_ssh_common_args='-o UserKnownHostsFile=/k/known_hosts " +
      "-o StrictHostKeyChecking=yes -o ControlPath=/cp/h2'",
      "",
      "[all:vars]",
      "ansible_user=root",
      "ansible_ssh_private_key_file=/k/id",
      "ansible_python_interpreter=/usr/bin/python3",
      "",
    ].join("\n"),
  );
  assertMatch(inventoryText(200, target), /^h001 .*\nh002 /m);
});

Deno.test("only Mitogen's ansible.cfg differs, by its strategy", () => {
  const plain = ansibleCfgText("ansible", "/s");
  assertEquals(ansibleCfgText("mito", "/s"), plain);
  assertEquals(
    ansibleCfgText("mitogen", "/s"),
    plain.replace(
      "interpreter_python = /usr/bin/python3\n",
      "$&strategy_plugins = /s\nstrategy = mitogen_linear\n",
    ),
  );
  assertMatch(plain, /pipelining = True\nssh_args = -C -o ControlMaster=auto -o ControlPersist=60s\n/);
  assertMatch(plain, /forks = 50/);
  assertMatch(
    ansibleCfgText("mito", "/s", { compression: false }),
    /\nssh_args = -o ControlMaster=auto -o ControlPersist=60s\n/,
  );
  assertEquals(
    SCENARIOS.filter((s) => !sshCompression(s)).map((s) => s.name),
    ["file-transfer-32M", "file-transfer-32M-sudo", "file-transfer-320M", "file-transfer-320M-sudo"],
  );
});

Deno.test("the baseline pipes the file through plain ssh, through sudo when the scenario uses it", () => {
  const s = SCENARIOS.find((x) => x.name === "file-transfer-32M-sudo")!;
  assertEquals(
    catSshCommand(s, target, "/a/32"),
    "cat /a/32 | ssh -o BatchMode=yes -o UserKnownHostsFile=/k/known_hosts -o StrictHostKeyChecking=yes " +
      "-i /k/id -p 2222 -l root 127.0.0.1 'mkdir -p /r && sudo sh -c '\"'\"'cat > " +
      '/r/file-transfer-32M-sudo.bin\'"\'"\' && test "$(stat -c %s /r/file-transfer-32M-sudo.bin)" = 33554432 ' +
      "&& rm -f /r/file-transfer-32M-sudo.bin'",
  );
});

Deno.test("scenario selection by name or group, --quick drops the 320 MiB transfers", () => {
  assertEquals(selectScenarios(["fanout"], false).map((s) => s.name), [
    "fanout-50",
    "fanout-200",
    "fanout-50-facts",
  ]);
  assertEquals(selectScenarios(["file-transfer"], true).map((s) => s.name), [
    "file-transfer-32M",
    "file-transfer-32M-sudo",
  ]);
  assertEquals(selectScenarios([], false).length, SCENARIOS.length);
  assertThrows(() => selectScenarios(["loop-7"], false), UnknownScenarioError, "unknown scenario 'loop-7'");
  assertEquals(treeFiles().length, 100);
  assertEquals(new Set(treeFiles().map((f) => f.path.split("/")[0])).size, 10);
});

Deno.test("runners and recap checks", () => {
  assertEquals(parseRunners("mito,ansible"), ["ansible", "mito"]);
  assertThrows(() => parseRunners("mito,chef"), Error, "unknown runner 'chef'");
  const recap = "PLAY RECAP ***\nh1 : ok=3    changed=1    unreachable=0    failed=0    skipped=0\n" +
    "h2 : ok=2    changed=1    unreachable=0    failed=1    skipped=0\n";
  assertEquals(recapOk(0, recap, 1), true);
  assertEquals(recapOk(0, recap, 2), false);
  assertEquals(recapOk(2, recap, 1), false);
  assertEquals(
    knownHostsText("[127.0.0.1]:22 ssh-ed25519 AAAA\n", "127.0.0.1", [22, 4000]),
    "[127.0.0.1]:22 ssh-ed25519 AAAA\n[127.0.0.1]:4000 ssh-ed25519 AAAA\n",
  );
});

const meta = { date: "2026-01-02", rounds: 3, load: 1.5, args: "--rounds 3" };
const rec = (runner: string, wallS: number, ok = true, link: "loopback" | "lan26ms" = "loopback") => ({
  scenario: "loop-100-items",
  link,
  runner,
  ok,
  wallS,
  cpuS: wallS / 2,
  maxRssMiB: 50,
  treePssMiB: 60,
  ...(link === "lan26ms"
    ? { upBytes: runner === "mito" ? 1000 : 4000, downBytes: 1000, connections: 1 }
    : {}),
});

function sample(): Summary[] {
  return summarize([
    rec("mitogen", 5),
    rec("mitogen", 6),
    rec("mitogen", 7),
    rec("mito", 1),
    rec("mito", 0.5),
    rec("mito", 9, false),
    rec("mitogen", 8, true, "lan26ms"),
    rec("mito", 1, true, "lan26ms"),
  ], meta);
}

Deno.test("medians of the successful runs only", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 2, 3]), 2.5);
  const s = sample();
  assertEquals(s[0], {
    scenario: "loop-100-items",
    link: "loopback",
    runner: "mitogen",
    runs: 3,
    ok: 3,
    date: "2026-01-02",
    rounds: 3,
    load: 1.5,
    args: "--rounds 3",
    wall_s: 6,
    cpu_s: 3,
    max_rss_mib: 50,
    tree_pss_mib: 60,
  });
  assertEquals([s[1].runs, s[1].ok, s[1].wall_s], [3, 2, 0.75]);
});

Deno.test("the tables, exactly", () => {
  const all = sample();
  assertEquals(wallTable(all, ["ansible", "mitogen", "mito", "mito-bin", "ssh-cat"]), [
    "| scenario | link | mitogen | mito | mito vs mitogen |",
    "| --- | --- | --- | --- | --- |",
    "| loop-100-items | loopback | 6.00 s | 0.75 s (1/3 failed) | 8.00× |",
    "| loop-100-items | lan26ms | 8.00 s | 1.00 s | 8.00× |",
  ]);
  const targets = evaluateTargets(all, { "loop-100-items": 100 });
  assertEquals(targetTable(targets), [
    "| target | runner | modules | link | measured | goal | status |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    "| loop-100-items on loopback | mito | mito's built-in | loopback | 8.00× (0.75 s vs 6.00 s) | ≥ 5× Mitogen | met |",
    "| loop-100-items over 26 ms | mito | mito's built-in | lan26ms | 8.00× (1.00 s vs 8.00 s) | ≥ 6× Mitogen | met |",
    "| loop-100-items bytes per item | mito | mito's built-in | lan26ms | 20 B vs 50 B (40%) | ≤ 50% of Mitogen's | met |",
  ]);
  assertEquals(resourceTable(all.slice(2)), [
    "| scenario | link | runner | wall | CPU | max RSS | tree PSS | bytes up | bytes down | conns | ok/runs | measured |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    "| loop-100-items | lan26ms | mitogen | 8.00 s | 4.00 s | 50.0 MiB | 60.0 MiB | 3.9 KiB | 1000 B | 1 | 1/1 | 2026-01-02 |",
    "| loop-100-items | lan26ms | mito | 1.00 s | 0.50 s | 50.0 MiB | 60.0 MiB | 1000 B | 1000 B | 1 | 1/1 | 2026-01-02 |",
  ]);
});

Deno.test("fanout memory per host is the slope between 50 and 200 hosts", () => {
  const s = (scenario: string, runner: string, wall: number, pss: number): Summary => ({
    scenario,
    link: "loopback",
    runner,
    runs: 1,
    ok: 1,
    wall_s: wall,
    tree_pss_mib: pss,
    ...meta,
  });
  const targets = evaluateTargets([
    s("fanout-50", "mito", 1, 100),
    s("fanout-200", "mito", 2, 400),
    s("fanout-200", "mitogen", 8, 900),
  ], {});
  assertEquals(targetTable(targets).slice(2), [
    "| fanout 200 hosts | mito | mito's built-in | loopback | 4.00× (2.00 s vs 8.00 s) | ≥ 5× Mitogen | missed |",
    "| fanout 200 hosts, controller memory per host | mito | mito's built-in | loopback | 2.00 MiB (200 vs 50 hosts) | ≤ 2 MiB | met |",
  ]);
});

Deno.test("the playbooks section replaces the hand-measured one, keeps rpc, and carries its figures", () => {
  const doc = "# Benchmarks\n\n## rpc\n\nrpc table\n\n## rpc notes\n\nnotes\n\n" +
    "## playbooks: loop-100-items (first side-by-side figures)\n\nold\n\n## playbooks notes\n\nmine\n";
  const section = "## playbooks\n\nnew\n\n```json\n" + JSON.stringify({ results: sample() }) + "\n```\n";
  const once = replaceSection(doc, section);
  assertEquals(
    once,
    "# Benchmarks\n\n## rpc\n\nrpc table\n\n## rpc notes\n\nnotes\n\n" + section +
      "\n## playbooks notes\n\nmine\n",
  );
  assertEquals(replaceSection(once, section), once);
  assertEquals(previousSummaries(once), sample());
  assertEquals(replaceSection("# Benchmarks\n", section), "# Benchmarks\n\n" + section);
  const fresh = summarize([rec("mito", 2)], { ...meta, date: "2026-02-03" });
  const merged = mergeSummaries(sample(), fresh);
  assertEquals(merged.length, 4);
  assertEquals(merged.filter((x) => x.runner === "mito" && x.link === "loopback").map((x) => x.date), [
    "2026-02-03",
  ]);
});

Deno.test("the chart has one bar per successful median and a log axis", () => {
  const svg = chartSvg(sample(), ["mitogen", "mito"]);
  assertMatch(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="900" height="\d+"/);
  assertEquals(svg.match(/<title>/g)!.length, 4);
  assertMatch(svg, />0.1 s<\/text>[\s\S]*>1 s<\/text>[\s\S]*>10 s<\/text>/);
  assert(svg.trimEnd().endsWith("</svg>"));
});
