import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import type { ModuleRequest } from "../runner.ts";
import { ConnectionPlanError, planConnection } from "./plan.ts";

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
    { method: "sudo", user: "postgres", python: "/usr/bin/python3", password: "s3cret", becomeTimeout: 12 },
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
    { method: "sudo", user: "postgres", python: "/p", password: "s3cret", becomeTimeout: 9 },
  ]);
});
