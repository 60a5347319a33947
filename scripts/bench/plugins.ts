// `deno task bench plugins [--calls N] [--starts N]`: what a Python plugin costs through the plugin host
// (playbook/plugins/), beside the same filter in ansible-playbook's own templating. Measured:
// - starting the host (process, FIFOs, handshake; median of --starts),
// - one filter call that crosses to the host: a template applying community.general.dict_kv rendered
//   --calls times by mito's Templar, minus the same template with a mito-native filter (the crossing alone),
// - the same template rendered by ansible-core's Templar under /usr/bin/python3 (it compiles the template
//   on every render), and the filter function called directly there (the filter natively, alone).
// Targets (issue 15): a crossing ≤ 100 µs, a start ≤ 60 ms. The last line is the figures as one JSON object.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";
import { CollectionIndex, collectionRoots, sitePackageDirs } from "../../playbook/collections.ts";
import { PluginHost, pythonPlugins } from "../../playbook/plugins/mod.ts";
import { Templar } from "../../playbook/template/mod.ts";
import { median } from "./_report.ts";

const PY = "/usr/bin/python3";
const PLUGIN_TEMPLATE = "{{ word | community.general.dict_kv('k') }}";
const NATIVE_TEMPLATE = "{{ word | replace('a', 'k') }}";

const ANSIBLE_MEASURE = `
import sys, time
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
t = Templar(loader=DataLoader(), variables={"word": "a"})
t.template(sys.argv[1])
n = int(sys.argv[2])
start = time.perf_counter()
for i in range(n):
    t.template(sys.argv[1])
rendered = (time.perf_counter() - start) / n * 1e6
from ansible_collections.community.general.plugins.filter.dict_kv import dict_kv
start = time.perf_counter()
for i in range(n * 100):
    dict_kv("a", "k")
print(rendered, (time.perf_counter() - start) / (n * 100) * 1e6)
`;

function perCall(templar: Templar, template: string, calls: number): number {
  const vars = { get: (n: string) => (n === "word" ? "a" : undefined) };
  templar.template(template, vars);
  const start = performance.now();
  for (let i = 0; i < calls; i++) templar.template(template, vars);
  return (performance.now() - start) / calls * 1000;
}

export function main(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: { calls: { type: "string", default: "5000" }, starts: { type: "string", default: "15" } },
  });
  const calls = Number(values.calls), startsWanted = Number(values.starts);
  const roots = collectionRoots({ playbookDirs: [], configured: [], sitePackages: sitePackageDirs() });

  // the interpreter alone, under the same load: what a host start cannot go below
  const bare: number[] = [];
  for (let i = 0; i < startsWanted; i++) {
    const t = performance.now();
    spawnSync(PY, ["-c", "pass"]);
    bare.push(performance.now() - t);
  }
  const starts: number[] = [];
  for (let i = 0; i < startsWanted; i++) {
    const host = new PluginHost({ python: PY, collectionRoots: roots });
    const t = performance.now();
    host.info();
    starts.push(performance.now() - t);
    host.close();
  }

  const collections = new CollectionIndex(roots);
  const { plugins, host } = pythonPlugins({
    collections,
    playbookDirs: [],
    configured: { filter: [], test: [], lookup: [] },
    python: PY,
    cwd: process.cwd(),
    env: process.env,
    warn: () => {},
  });
  let pluginUs: number, nativeUs: number;
  try {
    const templar = new Templar({ native: false, plugins });
    // first use loads the collection's filters (as Ansible's loader does): not part of a call's cost
    templar.template(PLUGIN_TEMPLATE, { get: () => "a" });
    pluginUs = perCall(templar, PLUGIN_TEMPLATE, calls);
    nativeUs = perCall(templar, NATIVE_TEMPLATE, calls);
  } finally {
    host.close();
  }
  const ansible = spawnSync(PY, ["-c", ANSIBLE_MEASURE, PLUGIN_TEMPLATE, String(Math.min(calls, 2000))], {
    encoding: "utf8",
  });
  const [ansibleUs, ansibleFnUs] = ansible.status === 0
    ? ansible.stdout.trim().split(" ").map(Number)
    : [NaN, NaN];
  const crossing = pluginUs - nativeUs;
  const startMs = median(starts);
  const rows: [string, string, string][] = [
    [
      "plugin host start (median)",
      `${startMs.toFixed(1)} ms`,
      startMs <= 60 ? "≤ 60 ms: met" : "≤ 60 ms: MISSED",
    ],
    [`${PY} -c pass, to its end (median)`, `${median(bare).toFixed(1)} ms`, ""],
    [`mito: ${PLUGIN_TEMPLATE}`, `${pluginUs.toFixed(1)} µs`, ""],
    [`mito: ${NATIVE_TEMPLATE} (native)`, `${nativeUs.toFixed(1)} µs`, ""],
    [
      "crossing to the host (difference)",
      `${crossing.toFixed(1)} µs`,
      crossing <= 100 ? "≤ 100 µs: met" : "≤ 100 µs: MISSED",
    ],
    [`ansible-core Templar: ${PLUGIN_TEMPLATE}`, `${ansibleUs.toFixed(1)} µs`, ""],
    ["ansible-core: dict_kv('a', 'k') called directly", `${ansibleFnUs.toFixed(2)} µs`, ""],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length)), w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  console.log(JSON.stringify({
    hostStartMs: +startMs.toFixed(2),
    pythonAloneMs: +median(bare).toFixed(2),
    pluginCallUs: +pluginUs.toFixed(2),
    nativeCallUs: +nativeUs.toFixed(2),
    crossingUs: +crossing.toFixed(2),
    ansibleRenderUs: +ansibleUs.toFixed(2),
    ansibleFunctionUs: +ansibleFnUs.toFixed(3),
    calls,
    starts: startsWanted,
  }));
}
