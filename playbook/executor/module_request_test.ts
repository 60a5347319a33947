import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import type { Play, Task } from "../model.ts";
import { LayeredVars } from "../vars.ts";
import { OMIT_TOKEN, pyStr, Templar } from "../template/mod.ts";
import type { ModuleRequest } from "../runner.ts";
import { argsOf, connectionVars, moduleDefaults, moduleRequest, type RequestEnv } from "./module_request.ts";
import { TaskTemplateError } from "./_task_errors.ts";

const templar = new Templar({ native: false });

function play(kw: Record<string, unknown> = {}): Play {
  return {
    kind: "play",
    id: 1,
    name: "p",
    hosts: "all",
    file: "/play/site.yml",
    baseDir: "/play",
    vars: {},
    varsFiles: [],
    varsPrompt: [],
    sections: [],
    handlers: [],
    roles: [],
    kw,
  };
}

function task(
  action: string,
  args: Record<string, unknown>,
  kw: Record<string, unknown> = {},
  parent?: Play,
): Task {
  return {
    kind: "task",
    id: 2,
    action,
    actionWritten: action,
    args,
    kw,
    parent: parent ?? play(),
    isHandler: false,
    localAction: false,
  };
}

/** A run's settings, and what it warned or showed. */
function env(said: string[] = []): RequestEnv {
  return {
    templar,
    omitToken: OMIT_TOKEN,
    pyStr,
    check: false,
    diff: false,
    verbosity: 1,
    connectionDefaults: { remote_user: "cfg", timeout: 10 },
    hasHost: (h) => h === "web1" || h === "db1",
    warning: (text) => said.push(`warning: ${text}`),
    asyncStatus: (host, task, vars, e) =>
      said.push(`async ${host} ${task.action} ${vars.get("pkg")} ${e.kind}`),
    // the playbook's, then the roles' as they were loaded (not the task's search path)
    libraryDirs: () => ["/play/library", "/play/roles/r/library"],
  };
}

/** The request's data (its callbacks are checked on their own). */
function data(req: ModuleRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) if (typeof v !== "function") out[k] = v;
  return out;
}

const hostVars: Record<string, Record<string, unknown>> = {
  web1: { ansible_host: "10.0.0.1", ansible_user: "{{ login }}", login: "deploy", pkg: "nginx" },
  db1: { ansible_host: "10.0.0.2", ansible_port: 2222 },
};

function input(t: Task, host = "web1", extra: Record<string, unknown> = {}) {
  return {
    host,
    task: t,
    vars: new LayeredVars([hostVars[host], extra]),
    noLog: false,
    searchPath: ["/play/roles/r", "/play"],
    playDir: "/play",
    varsOf: (h: string) => new LayeredVars([hostVars[h]]),
    hostVarsOf: (h: string) => new LayeredVars([hostVars[h]]),
    factsOf: (h: string) => (h === "db1" ? { pkg_mgr: "apt" } : undefined),
  };
}

Deno.test("a module request: templated args without omitted options, the host's connection variables", () => {
  const t = task("apt", { name: "{{ pkg }}", state: "present", purge: "{{ omit }}" }, {
    environment: { LANG: "C", N: 1 },
  });
  assertEquals(data(moduleRequest(env(), input(t))), {
    host: "web1",
    targetHost: "web1",
    module: "apt",
    args: { name: "nginx", state: "present" },
    checkMode: false,
    diff: false,
    noLog: false,
    become: {
      become: false,
      method: "sudo",
      user: "root",
      flags: undefined,
      exe: undefined,
      password: undefined,
    },
    environment: { LANG: "C", N: "1" },
    connectionVars: { remote_user: "cfg", timeout: 10, ansible_host: "10.0.0.1", ansible_user: "deploy" },
    searchPath: ["/play/roles/r", "/play"],
    asyncSeconds: 0,
    poll: 15,
    timeout: 0,
    verbosity: 1,
    libraryPaths: ["/play/library", "/play/roles/r/library"],
    facts: undefined,
  });
});

Deno.test(
  "module_defaults fill in under the task's own args; an inner scope's entry, under the short name or the " +
    "FQCN, replaces an outer one's whole, as Ansible keys them by the plugin they resolve to",
  () => {
    const p = play({ module_defaults: { "ansible.builtin.apt": { update_cache: true, state: "latest" } } });
    const t = task("apt", { name: "x" }, {
      module_defaults: { apt: { state: "absent", cache_valid_time: "{{ omit }}" } },
    }, p);
    assertEquals(moduleDefaults(t), { state: "absent", cache_valid_time: "{{ omit }}" });
    assertEquals(moduleRequest(env(), input(t)).args, { state: "absent", name: "x" });
    // an action handing over to another module gets that module's defaults, templated
    assertEquals(moduleRequest(env(), input(t)).moduleDefaults?.("apt"), { state: "absent" });
    // the outer entry stands when no inner one names the module
    const outer = task("apt", { name: "x" }, {}, p);
    assertEquals(moduleRequest(env(), input(outer)).args, { update_cache: true, state: "latest", name: "x" });
  },
);

Deno.test("become: connection variables beat keywords, which beat the configuration", () => {
  const t = task("command", { _raw_params: "id" }, {
    become: true,
    become_user: "kw_user",
    become_flags: "-H",
  });
  const req = moduleRequest(
    { ...env(), connectionDefaults: { become_method: "su", become_password: "cfgpw" } },
    input(t, "web1", { ansible_become_user: "{{ login }}" }),
  );
  assertEquals(req.become, {
    become: true,
    method: "su",
    user: "deploy",
    flags: "-H",
    exe: undefined,
    password: "cfgpw",
  });
  // the method's own variables (ansible_sudo_user) are read after ansible_become_*: the last one set wins
  const sudo = moduleRequest(env(), input(t, "web1", { ansible_become_user: "a", ansible_sudo_user: "b" }));
  assertEquals(sudo.become.user, "b");
});

Deno.test("a delegated task connects with the delegate's variables; a delegate outside the inventory with the defaults", () => {
  const t = task("setup", {}, { delegate_to: "{{ target }}", remote_user: "kw" });
  const req = moduleRequest(env(), input(t, "web1", { target: "db1" }));
  assertEquals(
    [req.targetHost, req.delegateTo, req.connectionVars, req.facts],
    ["db1", "db1", {
      remote_user: "cfg",
      timeout: 10,
      ansible_host: "10.0.0.2",
      ansible_port: 2222,
      keyword_remote_user: "kw",
    }, { pkg_mgr: "apt" }],
  );
  const outside = moduleRequest(env(), input(t, "web1", { target: "10.9.9.9" }));
  assertEquals(outside.connectionVars, { remote_user: "cfg", timeout: 10, keyword_remote_user: "kw" });
  // mitogen_via hops read other hosts' own connection variables; a name outside the inventory has none
  assertEquals(req.hostConnectionVars?.("web1"), {
    remote_user: "cfg",
    timeout: 10,
    ansible_host: "10.0.0.1",
    ansible_user: "deploy",
  });
  assertEquals(req.hostConnectionVars?.("nowhere"), undefined);
});

Deno.test("gather_facts runs the setup module; async, poll and timeout come from the keywords", () => {
  const t = task("gather_facts", {}, { async: "{{ 30 }}", poll: 0, timeout: 5 });
  const req = moduleRequest(env(), input(t));
  assertEquals([req.module, req.asyncSeconds, req.poll, req.timeout], ["setup", 30, 0, 5]);
});

Deno.test("an async task's progress goes to the run with the host, the task and its variables", () => {
  const said: string[] = [];
  const req = moduleRequest(env(said), input(task("command", { _raw_params: "sleep 1" })));
  req.onAsync?.({ kind: "poll", jid: "j1", started: 1, finished: 0 });
  req.onAsync?.({ kind: "ok", jid: "j1" });
  assertEquals(said, ["async web1 command nginx poll", "async web1 command nginx ok"]);
});

Deno.test("the module's name as written goes with the request when it is not the module run, except for gather_facts", () => {
  const fq = { ...task("copy", { dest: "/x" }), actionWritten: "ansible.builtin.copy" };
  assertEquals(moduleRequest(env(), input(fq)).moduleWritten, "ansible.builtin.copy");
  assertEquals("moduleWritten" in moduleRequest(env(), input(task("copy", { dest: "/x" }))), false);
  const gather = { ...task("gather_facts", {}), actionWritten: "ansible.builtin.gather_facts" };
  const req = moduleRequest(env(), input(gather));
  assertEquals([req.module, "moduleWritten" in req], ["setup", false]);
});

Deno.test("args given as one template come from its value, under the ones written beside it, with a warning", () => {
  const said: string[] = [];
  const t = task("debug", { _variable_params: "{{ a }}", msg: "written" });
  const vars = new LayeredVars([{ a: { msg: "from a", verbosity: 0 }, b: "text" }]);
  assertEquals(argsOf(t, vars, env(said)), { msg: "written", verbosity: 0 });
  assertEquals(said.length, 1);
  assertEquals(said[0].startsWith("warning: Using a variable for a task's 'args' is unsafe"), true);
  assertThrows(
    () => argsOf(task("debug", { _variable_params: "{{ b }}" }), vars, env()),
    TaskTemplateError,
    "invalid or malformed argument: 'text'",
  );
});

Deno.test("connection variables: ansible_* and mitogen_* templated over the defaults, facts and the rest left out", () => {
  const vars = new LayeredVars([{
    ansible_port: "{{ 2000 + 22 }}",
    ansible_facts: { x: 1 },
    mitogen_via: "bastion",
    other: "x",
    ansible_bad: "{{ undefined_thing }}",
  }]);
  assertEquals(connectionVars(vars, env()), {
    remote_user: "cfg",
    timeout: 10,
    ansible_port: "2022",
    mitogen_via: "bastion",
  });
});

Deno.test("the timeout keyword is the task's time limit only: the connection keeps ansible_timeout's", () => {
  const t = task("command", { _raw_params: "true" }, { timeout: 5, remote_user: "kw" });
  const req = moduleRequest(env(), input(t, "web1", { ansible_timeout: 25 }));
  assertEquals(req.timeout, 5);
  assertEquals([req.connectionVars.ansible_timeout, req.connectionVars.keyword_timeout], [25, undefined]);
  assertEquals(req.connectionVars.keyword_remote_user, "kw");
});
