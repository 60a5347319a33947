// Result shapes the remote side produces itself (connection failures, raw, fetch), as Ansible's.
import { DISPLAY_WARNINGS, type ModuleResult } from "../runner.ts";
import { pySplitlines, truthy } from "../template/mod.ts";
import { pyStr } from "../py/mod.ts";

export function lines(text: string): string[] {
  if (text === "") return [];
  return text.replace(/\r?\n$/, "").split(/\r?\n/);
}

/**
 * Adds stdout_lines/stderr_lines as Ansible's action layer does to every module result, here on the
 * controller as there: a target sending them would send every big output twice. The runner leaves null
 * where they go (Ansible's key order); a result without that mark gets them at its end.
 */
export function withOutputLines(r: ModuleResult): ModuleResult {
  for (const k of ["stdout", "stderr"] as const) {
    if (!(k in r) || (r[`${k}_lines`] ?? null) !== null) continue;
    const text = r[k];
    if (typeof text === "string") r[`${k}_lines`] = pySplitlines(text, false);
    else if (!text) r[`${k}_lines`] = [];
  }
  return r;
}

/** Result keys only the executor may set (Ansible's INTERNAL_RESULT_KEYS). */
const EXECUTOR_KEYS = new Set(["add_host", "add_group"]);

/**
 * What Ansible's action layer removes from every module's answer before anything reads it: internal
 * `_ansible_*` keys (but `_ansible_parsed`) and the executor's own keys, each with a warning shown at
 * once; empty warnings and deprecations; and the interpreter a module claims to have discovered, which
 * only the controller reports.
 */
export function withoutInternalKeys(r: ModuleResult): ModuleResult {
  // the runner's own mark for an async job's directory, read by nothing here (Ansible pops it silently)
  delete r._ansible_suppress_tmpdir_delete;
  const said: string[] = [];
  for (const k of Object.keys(r)) {
    if ((k.startsWith("_ansible_") && k !== "_ansible_parsed") || EXECUTOR_KEYS.has(k)) {
      said.push(`Removed unexpected internal key in module return: ${k} = ${pyStr(r[k])}`);
      delete r[k];
    }
  }
  for (const k of ["warnings", "deprecations"]) {
    if (k in r && !truthy(r[k])) delete r[k];
  }
  const facts = r.ansible_facts;
  if (typeof facts === "object" && facts !== null && !Array.isArray(facts)) {
    for (const k of Object.keys(facts)) {
      if (/^(ansible_)?discovered_interpreter_/.test(k)) delete (facts as Record<string, unknown>)[k];
    }
  }
  return withDisplayWarnings(r, said);
}

/** The result with warnings to show as it comes back, outside the result itself (DISPLAY_WARNINGS). */
export function withDisplayWarnings(r: ModuleResult, said: string[], first = false): ModuleResult {
  if (!said.length) return r;
  const before = (r[DISPLAY_WARNINGS] as string[] | undefined) ?? [];
  r[DISPLAY_WARNINGS] = first ? [...said, ...before] : [...before, ...said];
  return r;
}

export function unreachable(msg: string): ModuleResult {
  return { unreachable: true, changed: false, msg };
}

export function failed(msg: string, extra: Record<string, unknown> = {}): ModuleResult {
  return { failed: true, changed: false, msg, ...extra };
}

/** Ansible's AnsibleActionFail raised outside any exception: its result carries the traceback of none. */
export function actionFail(msg: string): ModuleResult {
  return failed(msg, { exception: "NoneType: None\n" });
}

/** The interpreter is not there: a module failure shaped as Ansible's, with the shell's own words. */
export function interpreterMissing(stderr: string): ModuleResult {
  return failed(
    "The module failed to execute correctly, you probably need to set the interpreter.\n" +
      "See stdout/stderr for the exact error",
    { module_stdout: "", module_stderr: stderr.replace(/\n?$/, "\n"), rc: 127 },
  );
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
