// fact_caching = jsonfile (what ansible-runner and AWX use): facts cached by an earlier run are there
// from the start, and what a run gathers or marks cacheable is written back as Ansible writes it;
// compared side by side with ansible-playbook on copies of the same cache.
import { assertEquals } from "./_assert.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mitoIn, ROOT, runIn } from "./_run.ts";
import { normalise } from "./_compare.ts";
import { JsonFileFactCache } from "../playbook/fact_cache.ts";

const FIXTURE = path.join(ROOT, "tests/fact_cache");

function copy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-fact-cache-"));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

function cacheFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(path.join(dir, "cache")).sort()) {
    out[f] = fs.readFileSync(path.join(dir, "cache", f), "utf8");
  }
  return out;
}

Deno.test("jsonfile fact cache: cached facts as variables and the cache written back, as ansible-playbook", () => {
  const a = copy();
  const m = copy();
  try {
    const real = runIn(a, "ansible-playbook", ["-i", "hosts.ini", "play.yml"]);
    const mito = mitoIn(m, ["-i", "hosts.ini", "play.yml"]);
    assertEquals(normalise(mito.stdout), normalise(real.stdout));
    assertEquals(mito.code, real.code);
    assertEquals(cacheFiles(m), cacheFiles(a));
    assertEquals(Object.keys(cacheFiles(m)), ["web1", "web2"]);
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(m, { recursive: true, force: true });
  }
});

Deno.test("jsonfile fact cache: ANSIBLE_CACHE_PLUGIN_PREFIX names the files it writes and reads, as ansible-playbook", () => {
  const a = copy();
  const m = copy();
  try {
    // the fixture's entries have no prefix: unseen under one, and the run's facts go to prefix_<host>
    const env = { ANSIBLE_CACHE_PLUGIN_PREFIX: "prefix_" };
    const real = runIn(a, "ansible-playbook", ["-i", "hosts.ini", "play.yml"], env);
    const mito = mitoIn(m, ["-i", "hosts.ini", "play.yml"], env);
    assertEquals(normalise(mito.stdout), normalise(real.stdout));
    assertEquals(mito.code, real.code);
    assertEquals(cacheFiles(m), cacheFiles(a));
    assertEquals(Object.keys(cacheFiles(m)), ["prefix_web1", "prefix_web2", "web1"]);
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(m, { recursive: true, force: true });
  }
});

Deno.test("jsonfile fact cache: an entry older than the timeout, or unreadable, is no facts", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-fact-cache-"));
  try {
    fs.writeFileSync(path.join(dir, "old"), '{"ansible_x": 1}');
    fs.writeFileSync(path.join(dir, "bad"), "{not json");
    const later = () => fs.statSync(path.join(dir, "old")).mtimeMs + 101_000;
    assertEquals(new JsonFileFactCache(dir, 100, later).load("old"), undefined);
    assertEquals(new JsonFileFactCache(dir, 0, later).load("old"), { ansible_x: 1 });
    assertEquals(new JsonFileFactCache(dir).load("bad"), undefined);
    const cache = new JsonFileFactCache(dir, 0);
    cache.update("old", { b: "é", a: [1] });
    assertEquals(
      fs.readFileSync(path.join(dir, "old"), "utf8"),
      '{\n    "a": [\n        1\n    ],\n    "ansible_x": 1,\n    "b": "\\u00e9"\n}',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("gathering = smart, explicit, implicit: which plays gather on which hosts, with the cache, as ansible-playbook", () => {
  for (const gathering of ["smart", "explicit", "implicit"]) {
    const a = copy();
    const m = copy();
    try {
      // twice on one cache: the second run finds what the first gathered
      for (const run of [1, 2]) {
        const env = { ANSIBLE_GATHERING: gathering };
        const real = runIn(a, "ansible-playbook", ["-i", "hosts.ini", "gathering.yml"], env);
        const mito = mitoIn(m, ["-i", "hosts.ini", "gathering.yml"], env);
        assertEquals(normalise(mito.stdout), normalise(real.stdout), `${gathering}, run ${run}`);
        assertEquals(mito.code, real.code);
        const keys = (dir: string) =>
          Object.entries(cacheFiles(dir)).map(([host, text]) => [host, Object.keys(JSON.parse(text)).sort()]);
        assertEquals(keys(m), keys(a));
      }
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(m, { recursive: true, force: true });
    }
  }
});

Deno.test("jsonfile fact cache: --flush-cache forgets the cached facts before the first play, as ansible-playbook", () => {
  const a = copy();
  const m = copy();
  try {
    const real = runIn(a, "ansible-playbook", ["-i", "hosts.ini", "--flush-cache", "play.yml"]);
    const mito = mitoIn(m, ["-i", "hosts.ini", "--flush-cache", "play.yml"]);
    assertEquals(normalise(mito.stdout), normalise(real.stdout));
    assertEquals(mito.code, real.code);
    // web1's entry was dropped: what is there now is only what this run wrote
    assertEquals(cacheFiles(m), cacheFiles(a));
    assertEquals(JSON.parse(cacheFiles(m).web1).ansible_marker, undefined);
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(m, { recursive: true, force: true });
  }
});
