import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import type { ModuleRequest } from "../runner.ts";
import { UnsafeString } from "../values.ts";
import { ConnectionPlanError, PlanCache, planConnection } from "./plan.ts";

function request(connectionVars: Record<string, unknown>, become = false): ModuleRequest {
  return {
    host: "web1",
    targetHost: "web1",
    module: "ping",
    args: {},
    checkMode: false,
    diff: false,
    noLog: false,
    become: { become, method: "sudo", user: "postgres", password: "s3cret" },
    environment: {},
    connectionVars,
    searchPath: [],
    asyncSeconds: 0,
    poll: 15,
    timeout: 0,
    verbosity: 0,
  };
}

Deno.test("an ssh host takes its address, user, port and key from inventory variables", () => {
  const plan = planConnection(
    request({
      ansible_host: "10.0.0.5",
      ansible_user: "deploy",
      ansible_port: "2222",
      ansible_ssh_private_key_file: "/keys/id",
      ansible_python_interpreter: "/usr/bin/python3",
    }),
    { remote_user: "ignored", host_key_checking: false, timeout: 10 },
  );
  assertEquals(plan.hops, [{
    method: "ssh",
    python: "/usr/bin/python3",
    hostname: "10.0.0.5",
    port: 2222,
    username: "deploy",
    identityFile: "/keys/id",
    connectTimeout: 10,
    checkHostKeys: "ignore",
  }]);
  assertEquals(plan.discovered, false);
  assertEquals(plan.direct?.method, "ssh");
});

Deno.test("variables beat play keywords, which beat ansible.cfg", () => {
  const fromKeyword = planConnection(
    request({ keyword_remote_user: "kw", ansible_python_interpreter: "/p" }),
    { remote_user: "cfg" },
  );
  assertEquals(fromKeyword.hops[0].username, "kw");
  const fromVar = planConnection(
    request({ ansible_user: "var", keyword_remote_user: "kw", ansible_python_interpreter: "/p" }),
    { remote_user: "cfg" },
  );
  assertEquals(fromVar.hops[0].username, "var");
  assertEquals(
    planConnection(request({ ansible_python_interpreter: "/p" }), { remote_user: "cfg" }).hops[0].username,
    "cfg",
  );
});

Deno.test("become adds a hop after the login, and raw then goes through the context", () => {
  const plan = planConnection(
    request({ ansible_connection: "local", ansible_python_interpreter: "/usr/bin/python3" }, true),
    { timeout: 12 },
  );
  assertEquals(plan.hops, [
    { method: "local", python: "/usr/bin/python3" },
    // sudo's default flags, as Ansible's sudo become plugin has them
    {
      method: "sudo",
      user: "postgres",
      python: "/usr/bin/python3",
      password: "s3cret",
      becomeTimeout: 12,
      flags: "-H -S -n",
    },
  ]);
  assertEquals(plan.becomeIndex, 1);
  assertEquals(plan.direct, undefined);
});

Deno.test("auto interpreter discovery runs in the login shell and is reported", () => {
  const plan = planConnection(request({ ansible_connection: "local" }), {});
  assertEquals(plan.discovered, true);
  assertEquals(String(plan.hops[0].python).startsWith('"$(command -v /usr/bin/python3 ||'), true);
});

Deno.test("the same settings give the same key; another become user another key", () => {
  const vars = { ansible_connection: "local", ansible_python_interpreter: "/p" };
  assertEquals(planConnection(request(vars), {}).key, planConnection(request(vars), {}).key);
  const a = planConnection(request(vars, true), {});
  const b = planConnection({
    ...request(vars, true),
    become: { become: true, method: "sudo", user: "other" },
  }, {});
  assertEquals(a.key === b.key, false);
});

Deno.test("unknown connection types and bad numbers are clear errors", () => {
  assertThrows(
    () => planConnection(request({ ansible_connection: "winrm" }), {}),
    ConnectionPlanError,
    "unknown connection type 'winrm'",
  );
  assertThrows(
    () => planConnection(request({ ansible_port: "twenty" }), {}),
    ConnectionPlanError,
    'ansible_port must be a number, got "twenty"',
  );
});

Deno.test("the runner connects as the translator reads: mitogen_ssh is ssh, ansible.cfg's ssh_executable is used", () => {
  const plan = planConnection(
    request(
      { ansible_connection: "mitogen_ssh", ansible_python_interpreter: "/p", ansible_timeout: 9 },
      true,
    ),
    { ssh_executable: "/cfg/ssh" },
  );
  assertEquals(plan.hops, [
    {
      method: "ssh",
      python: "/p",
      hostname: "web1",
      sshPath: "/cfg/ssh",
      connectTimeout: 9,
      checkHostKeys: "enforce",
    },
    {
      method: "sudo",
      user: "postgres",
      python: "/p",
      password: "s3cret",
      becomeTimeout: 9,
      flags: "-H -S -n",
    },
  ]);
});

Deno.test("PlanCache: the same connection inputs give the plan made the first time, equal to planConnection's", () => {
  const cache = new PlanCache();
  const vars = { ansible_host: "10.0.0.5", ansible_user: "deploy", ansible_python_interpreter: "/p" };
  const first = cache.plan(request({ ...vars }), { timeout: 10 });
  assertEquals(first, planConnection(request({ ...vars }), { timeout: 10 }));
  assertEquals(cache.plan(request({ ...vars }), { timeout: 10 }) === first, true);
  // any input that differs is another plan: a variable, become, ansible.cfg's defaults, the host
  const other = cache.plan(request({ ...vars, ansible_port: "2222" }), { timeout: 10 });
  assertEquals(other.hops[0].port, 2222);
  assertEquals(cache.plan(request({ ...vars }, true), { timeout: 10 }).hops.map((h) => h.method), [
    "ssh",
    "sudo",
  ]);
  assertEquals(cache.plan(request({ ...vars }), { timeout: 20 }).hops[0].connectTimeout, 20);
  const elsewhere = cache.plan({ ...request({ ...vars }), targetHost: "web2" }, { timeout: 10 });
  assertEquals(elsewhere.host, "web2");
  assertEquals(cache.plan(request({ ...vars }), { timeout: 10 }) === first, true);
});

Deno.test("PlanCache: values that are not plain data and mitogen_via are planned afresh each time", () => {
  const cache = new PlanCache();
  const unsafe = { ansible_host: new UnsafeString("10.0.0.5"), ansible_python_interpreter: "/p" };
  const a = cache.plan(request(unsafe), {});
  assertEquals(a, planConnection(request(unsafe), {}));
  assertEquals(cache.plan(request(unsafe), {}) === a, false);
  const hosts: Record<string, Record<string, unknown>> = {
    web1: { mitogen_via: "bastion", ansible_python_interpreter: "/p" },
    bastion: { ansible_host: "1.2.3.4", ansible_python_interpreter: "/p" },
  };
  const via = () => ({ ...request(hosts.web1), hostConnectionVars: (h: string) => hosts[h] });
  const b = cache.plan(via(), {});
  assertEquals(b.hops.map((h) => h.hostname), ["1.2.3.4", "web1"]);
  hosts.bastion.ansible_host = "5.6.7.8"; // another host's variables are part of the plan: read again
  assertEquals(cache.plan(via(), {}).hops.map((h) => h.hostname), ["5.6.7.8", "web1"]);
});

Deno.test("PlanCache: a request that cannot be planned fails every time, and is not kept", () => {
  const cache = new PlanCache();
  const bad = () => ({ ...request({ mitogen_via: "nowhere" }), hostConnectionVars: () => undefined });
  assertThrows(() => cache.plan(bad(), {}), ConnectionPlanError, "not in the inventory");
  assertThrows(() => cache.plan(bad(), {}), ConnectionPlanError, "not in the inventory");
});
