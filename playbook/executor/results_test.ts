import { assertEquals } from "../../tests/_assert.ts";
import { UnsafeString } from "../values.ts";
import type { HostStats } from "../callbacks/types.ts";
import {
  cleanCopy,
  countResult,
  gatherFactsResult,
  hostOutcome,
  includeResult,
  isFailed,
  registeredValue,
  RunTally,
  stripInternal,
  type Verdict,
  verdictOf,
} from "./results.ts";

Deno.test("what callbacks see: internal keys gone except the display ones, failed and skipped dropped", () => {
  const r = {
    changed: true,
    failed: false,
    skipped: false,
    _ansible_no_log: false,
    _ansible_item_label: "x",
    nested: { _ansible_parsed: true, ok: 1 },
  };
  assertEquals(cleanCopy(r, false), {
    changed: true,
    _ansible_no_log: false,
    _ansible_item_label: "x",
    nested: { ok: 1 },
  });
  assertEquals(stripInternal(r, false), {
    changed: true,
    failed: false,
    skipped: false,
    nested: { ok: 1 },
  });
});

Deno.test("under no_log a result shows only as censored, with its attempts, changed and retries", () => {
  const censored =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
  assertEquals(cleanCopy({ changed: true, stdout: "secret", attempts: 2, item: "pw" }, true), {
    censored,
    attempts: 2,
    changed: true,
  });
  assertEquals(cleanCopy({ msg: "secret", _ansible_no_log: true }, false), { censored });
});

Deno.test("a registered result keeps no internal keys and its strings are unsafe", () => {
  const reg = registeredValue({ stdout: "{{ not_templated }}", _ansible_no_log: false, rc: 0 }, "command");
  assertEquals(Object.keys(reg), ["stdout", "rc"]);
  assertEquals(reg.stdout instanceof UnsafeString, true);
  assertEquals((reg.stdout as UnsafeString).value, "{{ not_templated }}");
});

Deno.test("include_vars and set_fact results are registered as they are, not marked unsafe, but failures", () => {
  for (const action of ["include_vars", "set_fact"]) {
    const reg = registeredValue({ ansible_facts: { foo: "bar" }, _ansible_no_log: false }, action);
    assertEquals(reg, { ansible_facts: { foo: "bar" } });
  }
  const failed = registeredValue({ failed: true, msg: "{{ quoted }}" }, "set_fact");
  assertEquals(failed.msg instanceof UnsafeString, true);
});

Deno.test("the run's exit code: 4 once a host was unreachable, else 2 once one failed, else 0", () => {
  const tally = new RunTally();
  assertEquals([tally.exitCode(), tally.live("a")], [0, true]);
  tally.failedHosts.add("a");
  assertEquals([tally.exitCode(), tally.live("a"), tally.live("b")], [2, false, true]);
  tally.unreachableHosts.add("b");
  assertEquals([tally.exitCode(), tally.live("b")], [4, false]);
});

Deno.test("set_stats: per host or for the run, aggregated by type unless aggregate is off", () => {
  const tally = new RunTally();
  const set = (data: Record<string, unknown>, o: { per_host?: boolean; aggregate?: boolean } = {}) =>
    tally.addCustom("web1", {
      ansible_stats: { data, per_host: o.per_host ?? false, aggregate: o.aggregate ?? true },
    }, "set_stats");
  set({ n: 1, l: [1], d: { a: 1 }, s: "x" });
  set({ n: 2, l: [2], d: { b: 2 }, s: "y" });
  set({ n: 5 }, { per_host: true });
  set({ n: 7 }, { per_host: true, aggregate: false });
  // another action's ansible_stats are not set_stats data
  tally.addCustom("web1", { ansible_stats: { data: { n: 100 }, per_host: false, aggregate: true } }, "debug");
  tally.stat("web1").ok++;
  assertEquals(tally.view(), {
    hosts: { web1: { ok: 1, changed: 0, unreachable: 0, failures: 0, skipped: 0, rescued: 0, ignored: 0 } },
    custom: { _run: { n: 3, l: [1, 2], d: { a: 1, b: 2 }, s: "y" }, web1: { n: 7 } },
  });
});

Deno.test("a result's verdict: unreachable before failed before skipped; ignore_unreachable asked only when unreachable", () => {
  let asked = 0;
  const o = (ignoreErrors: boolean, rescuable: boolean, ignoreUnreachable = false) => ({
    ignoreErrors,
    rescuable,
    ignoreUnreachable: () => (asked++, ignoreUnreachable),
  });
  assertEquals(verdictOf({ unreachable: true, failed: true }, o(true, true, true)), {
    status: "unreachable",
    ignored: true,
  });
  assertEquals(asked, 1);
  assertEquals(verdictOf({ failed: true, skipped: true }, o(false, true)), {
    status: "failed",
    ignored: false,
    rescued: true,
  });
  assertEquals(verdictOf({ failed: true }, o(true, true)), {
    status: "failed",
    ignored: true,
    rescued: false,
  });
  assertEquals(verdictOf({ skipped: true }, o(false, false)), { status: "skipped" });
  assertEquals(verdictOf({ changed: true }, o(false, false)), { status: "ok" });
  assertEquals(asked, 1);
  // a loop is unreachable by its items (Ansible's TaskResult), once none of them failed
  assertEquals(verdictOf({ results: [{ changed: true }, { unreachable: true }] }, o(false, false, true)), {
    status: "unreachable",
    ignored: true,
  });
  assertEquals(verdictOf({ results: [{ failed: true }, { unreachable: true }] }, o(false, false)), {
    status: "failed",
    ignored: false,
    rescued: false,
  });
  assertEquals(asked, 2);
});

Deno.test("failed_when_result, on the result or on any loop item, decides over failed (as Ansible's TaskResult)", () => {
  // until ran out of retries (failed) but failed_when said no: not a failure
  assertEquals(isFailed({ failed: true, failed_when_result: false, attempts: 2 }), false);
  assertEquals(isFailed({ failed: false, failed_when_result: true }), true);
  assertEquals(isFailed({ failed: true }), true);
  assertEquals(isFailed({ changed: true }), false);
  // a loop: once an item has failed_when_result, the items' failed_when_result are asked, not failed
  assertEquals(isFailed({ failed: true, results: [{ failed: true, failed_when_result: false }] }), false);
  assertEquals(
    isFailed({ failed: true, results: [{ failed_when_result: false }, { failed_when_result: true }] }),
    true,
  );
  assertEquals(isFailed({ failed: true, results: [{ failed: false }] }), true);
  assertEquals(isFailed({ results: [{ failed: false }, { failed: true }] }), true);
  assertEquals(
    verdictOf({ failed: true, failed_when_result: false }, {
      ignoreErrors: false,
      rescuable: true,
      ignoreUnreachable: () => false,
    }),
    { status: "ok" },
  );
});

Deno.test("what the host does next and what its stats count, as ansible-playbook", () => {
  const cases: [Verdict, Record<string, unknown>, string, string, Partial<HostStats>][] = [
    [{ status: "unreachable", ignored: false }, {}, "ping", "unreachable", { unreachable: 1 }],
    // 2.14's strategy counts an ignored unreachable result ok and ignored
    [{ status: "unreachable", ignored: true }, {}, "ping", "ok", { ok: 1, ignored: 1 }],
    [{ status: "failed", ignored: true, rescued: false }, { changed: true }, "command", "ok", {
      ok: 1,
      ignored: 1,
      changed: 1,
    }],
    [{ status: "failed", ignored: false, rescued: true }, {}, "command", "failed", { rescued: 1 }],
    [{ status: "failed", ignored: false, rescued: false }, {}, "command", "failed", { failures: 1 }],
    [{ status: "skipped" }, {}, "command", "skipped", { skipped: 1 }],
    [{ status: "ok" }, { changed: true }, "command", "ok", { ok: 1, changed: 1 }],
    [{ status: "ok" }, { changed: true }, "include_role", "ok", {}],
    [{ status: "ok" }, { results: [{}, { skipped: true }, {}] }, "include_tasks", "ok", { ok: 2 }],
  ];
  for (const [verdict, result, action, outcome, counted] of cases) {
    const stat = zero();
    countResult(stat, verdict, result, action);
    assertEquals([hostOutcome(verdict), stat], [outcome, { ...zero(), ...counted }], JSON.stringify(verdict));
  }
});

function zero(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failures: 0, skipped: 0, rescued: 0, ignored: 0 };
}

Deno.test("gather_facts gives the facts, warnings and deprecations only, kept out of -v; a failure as it is", () => {
  const setup = { ansible_facts: { a: 1 }, invocation: { module_args: {} }, changed: false, extra: 1 };
  assertEquals(gatherFactsResult(setup), {
    ansible_facts: { a: 1 },
    warnings: [],
    deprecations: [],
    _ansible_verbose_override: true,
    changed: false,
  });
  assertEquals(gatherFactsResult({ warnings: ["w"] }), {
    ansible_facts: {},
    warnings: ["w"],
    deprecations: [],
    _ansible_verbose_override: true,
  });
  const failed = { failed: true, msg: "no python", invocation: {} };
  assertEquals(gatherFactsResult(failed), failed);
});

Deno.test("an include's result: include_tasks its file and other args, include_role its args; never mito's __dir", () => {
  assertEquals(includeResult("include_tasks", { file: "t.yml", __dir: "/p", apply: { tags: ["x"] } }), {
    include: "t.yml",
    include_args: { apply: { tags: ["x"] } },
  });
  assertEquals(includeResult("include_tasks", { _raw_params: "t.yml", __dir: "/p" }), {
    include: "t.yml",
    include_args: {},
  });
  assertEquals(includeResult("include_role", { name: "r", __dir: "/p" }), { include_args: { name: "r" } });
});
