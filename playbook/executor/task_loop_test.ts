import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import type { Play, Task } from "../model.ts";
import { LayeredVars } from "../vars.ts";
import { ExecutionError } from "../errors.ts";
import { pyStr, Templar } from "../template/mod.ts";
import {
  itemLayer,
  itemStatus,
  ItemWindow,
  loopItems,
  loopResult,
  type LoopSettings,
  loopSettings,
  markItemResult,
  pipelinable,
} from "./task_loop.ts";

const templar = new Templar({ native: false });

function task(action: string, kw: Record<string, unknown> = {}, args: Record<string, unknown> = {}): Task {
  return {
    kind: "task",
    id: 1,
    action,
    actionWritten: action,
    args,
    kw,
    isHandler: false,
    localAction: false,
  };
}

const plain: LoopSettings = {
  loopVar: "item",
  indexVar: undefined,
  extended: false,
  allItems: true,
  pause: 0,
};

Deno.test("loop_control: item, no index, not extended and no pause unless it says otherwise", () => {
  assertEquals(loopSettings({}, (v) => v), plain);
  assertEquals(
    loopSettings(
      { loop_var: "pkg", index_var: "n", extended: "{{ yes }}", extended_allitems: false, pause: "2" },
      (v) => v === "{{ yes }}" ? "yes" : v,
    ),
    { loopVar: "pkg", indexVar: "n", extended: true, allItems: false, pause: 2 },
  );
  // every setting but the label is templated before the loop starts
  const vars: Record<string, unknown> = { "{{ v }}": "pkg", "{{ i }}": "n", "{{ all }}": "no" };
  assertEquals(
    loopSettings(
      { loop_var: "{{ v }}", index_var: "{{ i }}", extended: true, extended_allitems: "{{ all }}" },
      (v) => typeof v === "string" && v in vars ? vars[v] : v,
    ),
    { loopVar: "pkg", indexVar: "n", extended: true, allItems: false, pause: 0 },
  );
});

Deno.test("an item's variables: the loop variable, its index and ansible_loop as Ansible names them", () => {
  const items = ["a", "b", "c"];
  assertEquals(itemLayer(items, 0, plain), { ansible_loop_var: "item", item: "a" });
  const s: LoopSettings = { loopVar: "x", indexVar: "i", extended: true, allItems: true, pause: 0 };
  assertEquals(itemLayer(items, 1, s), {
    ansible_loop_var: "x",
    x: "b",
    ansible_index_var: "i",
    i: 1,
    ansible_loop: {
      index: 2,
      index0: 1,
      first: false,
      last: false,
      length: 3,
      revindex: 2,
      revindex0: 1,
      allitems: ["a", "b", "c"],
      nextitem: "c",
      previtem: "a",
    },
  });
  // the first item has no previtem, the last no nextitem; extended_allitems: false leaves allitems out
  assertEquals(itemLayer(items, 2, { ...s, allItems: false }).ansible_loop, {
    index: 3,
    index0: 2,
    first: false,
    last: true,
    length: 3,
    revindex: 1,
    revindex0: 0,
    previtem: "b",
  });
});

Deno.test("an item's result carries its item, index, ansible_loop and ignore_errors, in Ansible's key order", () => {
  const s: LoopSettings = { loopVar: "x", indexVar: "i", extended: true, allItems: true, pause: 0 };
  const layer = itemLayer(["a", "b"], 1, s);
  const r: Record<string, unknown> = { rc: 0 };
  markItemResult(r, { value: "b", index: 1, layer }, s, true);
  assertEquals(Object.keys(r), [
    "rc",
    "x",
    "ansible_loop_var",
    "i",
    "ansible_index_var",
    "ansible_loop",
    "_ansible_item_result",
    "_ansible_ignore_errors",
  ]);
  assertEquals([r.x, r.i, r.ansible_loop, r._ansible_ignore_errors], ["b", 1, layer.ansible_loop, true]);
});

Deno.test("an item shows as failed when it failed or was unreachable, else skipped or ok", () => {
  assertEquals(
    [{ failed: true }, { unreachable: true }, { skipped: true }, { changed: true }].map(itemStatus),
    ["failed", "failed", "skipped", "ok"],
  );
});

Deno.test("a loop's result: no items is skipped, all skipped says so, a failed item fails the loop", () => {
  assertEquals(loopResult([], false), {
    changed: false,
    skipped: true,
    skipped_reason: "No items in the list",
    results: [],
  });
  assertEquals(loopResult([{ skipped: true, changed: false }], true), {
    results: [{ skipped: true, changed: false }],
    skipped: true,
    msg: "All items skipped",
    changed: false,
    _ansible_no_log: true,
  });
  const failed = { failed: true, _ansible_ignore_errors: false, warnings: ["w2"] };
  const ok = { changed: true, _ansible_ignore_errors: false, warnings: ["w1"], deprecations: [] };
  assertEquals(loopResult([ok, failed], false), {
    results: [{ changed: true, _ansible_ignore_errors: false }, { failed: true }],
    skipped: false,
    changed: true,
    failed: true,
    msg: "One or more items failed",
    warnings: ["w1", "w2"],
  });
});

Deno.test("items are sent ahead only when no item can change what the next one does", () => {
  assertEquals(pipelinable(task("command"), {}, 0, undefined), true);
  assertEquals(pipelinable(task("command"), {}, 0, false), false, "the runner does not pipeline");
  assertEquals(pipelinable(task("command"), {}, 1, true), false, "a pause");
  assertEquals(pipelinable(task("command"), { break_when: "x" }, 0, true), false);
  assertEquals(pipelinable(task("command", { until: "r.rc == 0" }), {}, 0, true), false);
  assertEquals(pipelinable(task("command", { async: 10 }), {}, 0, true), false);
  assertEquals(pipelinable(task("set_fact"), {}, 0, true), false, "a controller action");
  assertEquals(pipelinable(task("raw"), {}, 0, true), false);
  assertEquals(pipelinable(task("package_facts"), {}, 0, true), false);
  assertEquals(pipelinable(task("command", { become_user: "{{ item }}" }), {}, 0, true), false);
  assertEquals(pipelinable(task("command", { become_user: "root" }), {}, 0, true), true);
  assertEquals(
    pipelinable(
      task("command", { vars: { ansible_user: "{{ item.user }}", other: "{{ item }}" } }),
      {},
      0,
      true,
    ),
    false,
  );
  assertEquals(pipelinable(task("command", { vars: { other: "{{ item }}" } }), {}, 0, true), true);
});

Deno.test("the window starts items up to `ahead` before the awaited one, and none after a failed start", () => {
  const started: number[] = [];
  const w = new ItemWindow({
    count: 5,
    ahead: 3,
    start: (i) => (started.push(i), { ok: true, i }),
  });
  assertEquals(w.take(0), { ok: true, i: 0 });
  assertEquals(started, [0, 1, 2]);
  assertEquals(w.take(1).i, 1);
  assertEquals(started, [0, 1, 2, 3]);
  assertEquals([w.take(2).i, w.take(3).i, w.take(4).i], [2, 3, 4]);
  assertEquals(started, [0, 1, 2, 3, 4]);

  const tried: number[] = [];
  const failing = new ItemWindow({
    count: 4,
    ahead: 4,
    start: (i) => (tried.push(i), { ok: i !== 1 }),
  });
  assertEquals(failing.take(0), { ok: true });
  assertEquals(failing.take(1), { ok: false });
  assertEquals(tried, [0, 1]);
});

Deno.test("loop items: `loop` templates to a list, anything else is refused with Ansible's message", () => {
  const play = { kind: "play", kw: {}, baseDir: "/tmp" } as unknown as Play;
  const vars = new LayeredVars([{ xs: [1, 2], one: "a" }]);
  const o = { templar, pyStr, searchPath: () => [play.baseDir] };
  assertEquals(loopItems(task("debug", { loop: "{{ xs }}" }), vars, o), [1, 2]);
  assertThrows(
    () => loopItems(task("debug", { loop: "{{ one }}" }), vars, o),
    ExecutionError,
    "Invalid data passed to 'loop', it requires a list, got this instead: a. Hint:",
  );
  const withItems = { ...task("debug", { loop: [[1, 2], 3] }), loopWith: "items" };
  assertEquals(loopItems(withItems, vars, o), [1, 2, 3]);
});
