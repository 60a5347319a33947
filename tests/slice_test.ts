// `mito run --slice K/N`: AWX's job-slicing rule (hosts sorted by name, every N-th from the K-th), so N
// processes on N machines run every host of one inventory exactly once, each host as the unsliced run
// would.
import { assertEquals } from "./_assert.ts";
import * as path from "node:path";
import { mitoIn, ROOT } from "./_run.ts";
import { recapLines } from "./_compare.ts";
import { sliceOf } from "../playbook/slice.ts";
import { parseRunArgs, parseSlice } from "../cli/run_args.ts";
import { ArgumentError } from "../cli/errors.ts";

const DIR = path.join(ROOT, "tests/slice");
const NAMES = Array.from({ length: 30 }, (_, i) => `node${String(i + 1).padStart(2, "0")}`);

Deno.test("--slice: K/N and AWX's sliceKofN parse; K outside 1..N is refused", () => {
  assertEquals(parseRunArgs(["--slice", "2/5", "p.yml"]).slice, { index: 2, count: 5 });
  assertEquals(parseSlice("slice3of4"), { index: 3, count: 4 });
  for (const bad of ["0/3", "4/3", "1/0", "2-5", "a/b"]) {
    let err: unknown;
    try {
      parseSlice(bad);
    } catch (e) {
      err = e;
    }
    assertEquals(err instanceof ArgumentError, true, bad);
  }
});

Deno.test("--slice: hosts sorted by name, every N-th from the K-th, whatever order they came in", () => {
  const shuffled = [...NAMES].reverse();
  assertEquals(sliceOf(shuffled, { index: 1, count: 4 }), [
    "node01",
    "node05",
    "node09",
    "node13",
    "node17",
    "node21",
    "node25",
    "node29",
  ]);
  assertEquals(sliceOf(shuffled, { index: 4, count: 4 }), [
    "node04",
    "node08",
    "node12",
    "node16",
    "node20",
    "node24",
    "node28",
  ]);
  assertEquals(sliceOf(["b", "a"], { index: 3, count: 3 }), []);
  assertEquals(sliceOf(NAMES, { index: 1, count: 1 }), NAMES);
});

Deno.test("--slice: N slices of a 30-host inventory cover every host once, each as the unsliced run", () => {
  const whole = mitoIn(DIR, ["play.yml"]);
  assertEquals(whole.code, 0, whole.stderr);
  const all = recapLines(whole.stdout);
  assertEquals(all.length, 30);
  for (const n of [3, 4]) {
    const seen: string[] = [];
    for (let k = 1; k <= n; k++) {
      const part = mitoIn(DIR, ["--slice", `${k}/${n}`, "play.yml"]);
      assertEquals(part.code, 0, part.stderr);
      const lines = recapLines(part.stdout);
      const hosts = lines.map((l) => l.split(/\s/)[0]);
      assertEquals(hosts, sliceOf(NAMES, { index: k, count: n }));
      assertEquals(lines, all.filter((l) => hosts.includes(l.split(/\s/)[0])));
      seen.push(...hosts);
    }
    assertEquals(seen.sort(), NAMES);
  }
});

Deno.test("--slice with --limit: the limit applies within the slice", () => {
  const r = mitoIn(DIR, ["--slice", "2/3", "--limit", "node0*", "play.yml"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(recapLines(r.stdout).map((l) => l.split(/\s/)[0]), ["node02", "node05", "node08"]);
});
