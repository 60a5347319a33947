// Differential test: every case of tests/template_corpus.yaml rendered by mito must equal what ansible-core
// 2.14's own Templar renders (tests/template_harness.py, run once for the whole corpus).
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { assert } from "./_assert.ts";
import { jsonLoads, pyRepr, pyTypeName, Templar, UndefinedError } from "../playbook/template/mod.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusFile = path.join(here, "template_corpus.yaml");
const fixtures = path.join(here, "template_fixtures");
const PYTHON = "/usr/bin/python3";

type Case = { t: string; vars?: Record<string, unknown>; mode?: string; lstrip?: boolean; trim?: boolean };
type Outcome = { ok: true; type: string; repr: string } | { ok: false; etype?: string; msg: string };

function runAnsible(): {
  corpus: { vars: Record<string, unknown>; cases: unknown[] };
  results: Record<string, Outcome>;
} {
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is required (Debian python3 with ansible-core 2.14)`);
  }
  const out = execFileSync(PYTHON, [path.join(here, "template_harness.py"), corpusFile, fixtures], {
    cwd: "/tmp",
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  return jsonLoads(out) as ReturnType<typeof runAnsible>;
}

function normalizeType(t: string): string {
  return t === "NativeJinjaText" || t === "NativeText" ? "str" : t;
}

function runMito(c: Case, mode: string, common: Record<string, unknown>): Outcome {
  const all: Record<string, unknown> = { ...common, ...(c.vars ?? {}) };
  const vars = { get: (n: string) => (Object.hasOwn(all, n) ? all[n] : undefined) };
  // the templar-wide default mode stands for ANSIBLE_JINJA2_NATIVE (the harness's cond cases use the default, False)
  const templar = new Templar({ basedir: fixtures, native: mode === "native" });
  try {
    let v: unknown;
    if (mode === "file") {
      v = templar.renderFile(c.t, vars, { lstripBlocks: !!c.lstrip, trimBlocks: c.trim ?? true });
    } else if (mode === "cond") v = templar.condition(c.t, vars);
    else v = templar.template(c.t, vars);
    return { ok: true, type: normalizeType(pyTypeName(v)), repr: pyRepr(v) };
  } catch (e) {
    return {
      ok: false,
      etype: e instanceof UndefinedError ? "undefined" : (e as Error).name,
      msg: (e as Error).message,
    };
  }
}

/**
 * An undefined variable is reported in Ansible's words (its first line). Conditionals are compared
 * without the "The conditional check … failed" that Ansible's evaluate_conditional puts before them (the
 * executor adds it). Not compared: a filter given an undefined value, where Ansible reports whatever
 * Python error the filter's code met ("Unable to look up a name…", AnsibleFilterError "to_yaml - …").
 */
function sameUndefinedMessage(want: Outcome, got: Outcome, mode: string): boolean {
  if (want.ok || got.ok || want.msg.startsWith("Unable to look up")) return true;
  if (want.etype !== "AnsibleUndefinedVariable" && !(mode === "cond" && got.etype === "undefined")) {
    return true;
  }
  const mine = got.msg.split("\n")[0];
  return mode === "cond" ? want.msg.endsWith(`The error was: ${mine}`) : want.msg === mine;
}

Deno.test("mito renders the differential corpus exactly as ansible-core's Templar", () => {
  const { corpus, results: expected } = runAnsible();
  const mismatches: string[] = [];
  let compared = 0;
  corpus.cases.forEach((raw, i) => {
    const c: Case = typeof raw === "string" ? { t: raw } : (raw as Case);
    const modes = !c.mode || c.mode === "both" ? ["eval", "native"] : [c.mode];
    for (const mode of modes) {
      const want = expected[`${i}:${mode}`];
      assert(want, `the harness gave no result for case ${i} (${mode})`);
      const got = runMito(c, mode, corpus.vars);
      compared++;
      // failures must agree on whether an undefined variable was the cause
      const undefinedCause = (o: Outcome) =>
        !o.ok &&
        (o.etype === "AnsibleUndefinedVariable" || o.etype === "undefined" ||
          / is undefined|'[a-z]+ object' has no attribute/.test(o.msg));
      const same = want.ok && got.ok
        ? normalizeType(want.type) === got.type && want.repr === got.repr
        : want.ok === got.ok && undefinedCause(want) === undefinedCause(got) &&
          sameUndefinedMessage(want, got, mode);
      if (!same) {
        const show = (o: Outcome) => (o.ok ? `${o.type} ${o.repr}` : `error ${o.etype}: ${o.msg}`);
        mismatches.push(
          `#${i} [${mode}] ${JSON.stringify(c.t)}\n    ansible: ${show(want)}\n    mito:    ${show(got)}`,
        );
      }
    }
  });
  assert(compared > 1000, `expected over a thousand comparisons, made ${compared}`);
  if (mismatches.length) {
    throw new Error(
      `${mismatches.length} of ${compared} results differ from Ansible:\n${mismatches.join("\n")}`,
    );
  }
});
