// The runner's plan for mitogen_via chains and delegated tasks: every intermediary is reached with its
// own inventory variables, the `[[method:]user@]host` form adds a become on the intermediary, loops are
// errors naming the chain, and mitogen_get_stack describes exactly the hops the runner opens.
import { assertEquals, assertThrows } from "./_assert.ts";
import type { ModuleRequest } from "../playbook/runner.ts";
import { ConnectionPlanError, parseVia, planConnection } from "../playbook/remote/plan.ts";
import { taskStack } from "../playbook/remote/stack.ts";

const PY = { ansible_python_interpreter: "/usr/bin/python3" };
const INVENTORY: Record<string, Record<string, unknown>> = {
  bastion: { ...PY, ansible_host: "203.0.113.1", ansible_user: "jump", ansible_port: 2200 },
  inner: {
    ...PY,
    ansible_host: "10.1.0.1",
    ansible_user: "relay",
    ansible_password: "relay-pw",
    mitogen_via: "bastion",
  },
  core: { ...PY, ansible_host: "10.2.0.1", ansible_user: "ops", mitogen_via: "admin@inner" },
  db: { ...PY, ansible_host: "10.3.0.1", ansible_user: "dba", ansible_become_password: "db-sudo" },
  loop_a: { ...PY, mitogen_via: "loop_b" },
  loop_b: { ...PY, mitogen_via: "loop_c" },
  loop_c: { ...PY, mitogen_via: "loop_a" },
  localhost: { ...PY, ansible_connection: "local" },
};

function request(
  target: string,
  opts: { host?: string; become?: boolean; vars?: Record<string, unknown> } = {},
) {
  const req: ModuleRequest = {
    host: opts.host ?? target,
    targetHost: target,
    module: "mitogen_get_stack",
    args: {},
    checkMode: false,
    diff: false,
    noLog: false,
    become: { become: opts.become ?? false, method: "sudo", user: "root", password: "task-pw" },
    environment: {},
    connectionVars: { ...INVENTORY[target], ...opts.vars },
    hostConnectionVars: (h) => INVENTORY[h],
    searchPath: [],
    asyncSeconds: 0,
    poll: 15,
    timeout: 0,
    verbosity: 0,
  };
  return req;
}

const stack = (req: ModuleRequest) => planConnection(req, { timeout: 10 }).hops;

Deno.test("mitogen_via syntax: host, user@host, method:user@host", () => {
  assertEquals(parseVia("bastion"), { method: undefined, user: undefined, host: "bastion" });
  assertEquals(parseVia("admin@bastion"), { method: undefined, user: "admin", host: "bastion" });
  assertEquals(parseVia("su:admin@bastion"), { method: "su", user: "admin", host: "bastion" });
});

Deno.test("a 2-level chain: the intermediary with its own address, user and port, then the target", () => {
  assertEquals(stack(request("inner")), [
    {
      method: "ssh",
      python: "/usr/bin/python3",
      hostname: "203.0.113.1",
      port: 2200,
      username: "jump",
      connectTimeout: 10,
      checkHostKeys: "enforce",
    },
    {
      method: "ssh",
      python: "/usr/bin/python3",
      hostname: "10.1.0.1",
      username: "relay",
      password: "relay-pw",
      connectTimeout: 10,
      checkHostKeys: "enforce",
    },
  ]);
});

Deno.test("a 3-level chain with a become on the middle host and the task's become at the end", () => {
  const plan = planConnection(request("core", { become: true }), { timeout: 10 });
  assertEquals(plan.hops.map((h) => [h.method, h.username ?? h.user, h.hostname ?? null]), [
    ["ssh", "jump", "203.0.113.1"],
    ["ssh", "relay", "10.1.0.1"],
    ["sudo", "admin", null],
    ["ssh", "ops", "10.2.0.1"],
    ["sudo", "root", null],
  ]);
  // Only the task's become is a task failure when it fails; the chain's hops make the host unreachable.
  assertEquals(plan.becomeIndex, 4);
  assertEquals(plan.direct, undefined);
  assertEquals(stack(request("core", { become: true }))[4].password, "task-pw");
});

Deno.test("the become form names its method; the intermediary's become password is its own", () => {
  const inv: Record<string, Record<string, unknown>> = {
    ...INVENTORY,
    middle: { ...INVENTORY.db, mitogen_via: "bastion" },
  };
  const req = { ...request("core"), hostConnectionVars: (h: string) => inv[h] };
  req.connectionVars = { ...req.connectionVars, mitogen_via: "su:postgres@middle" };
  const plan = planConnection(req, {});
  assertEquals(plan.hops.map((h) => h.method), ["ssh", "ssh", "su", "ssh"]);
  assertEquals([plan.hops[2].user, plan.hops[2].password], ["postgres", "db-sudo"]);
});

Deno.test("a loop is an error that names the whole chain; an unknown intermediary names itself", () => {
  assertThrows(
    () => planConnection(request("loop_a"), {}),
    ConnectionPlanError,
    "mitogen_via loop: loop_a -> loop_b -> loop_c -> loop_a",
  );
  assertThrows(
    () => planConnection(request("db", { vars: { mitogen_via: "nowhere" } }), {}),
    ConnectionPlanError,
    `mitogen_via of db names "nowhere", which is not in the inventory`,
  );
});

Deno.test("-e mitogen_via=bastion reaches the bastion itself directly", () => {
  assertEquals(stack(request("bastion", { vars: { mitogen_via: "bastion" } })).map((h) => h.method), ["ssh"]);
});

Deno.test("local actions of many hosts spread over a few interpreters instead of one", () => {
  const lanes = new Set<unknown>();
  for (let i = 0; i < 40; i++) {
    const plan = planConnection(request("localhost", { host: `web${i}` }), {});
    assertEquals(plan.hops.map((h) => h.method), ["local"]);
    lanes.add(plan.hops[0].lane);
  }
  assertEquals(lanes.size, 4);
  // The same host always gets the same interpreter, so its context is reused from task to task.
  assertEquals(
    planConnection(request("localhost", { host: "web7" }), {}).key,
    planConnection(request("localhost", { host: "web7" }), {}).key,
  );
});

Deno.test("mitogen_get_stack answers in Mitogen's shape, passwords masked", () => {
  const sshKwargs = {
    check_host_keys: "enforce",
    compression: false,
    connect_timeout: 10,
    identities_only: false,
    identity_file: null,
    keepalive_count: 10,
    keepalive_interval: 30,
    python_path: "/usr/bin/python3",
    remote_name: null,
    ssh_args: ["-C", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s"],
    ssh_debug_level: null,
    ssh_path: "ssh",
  };
  assertEquals(taskStack(request("core", { become: true }), { timeout: 10 }), [
    {
      kwargs: { ...sshKwargs, hostname: "203.0.113.1", password: null, port: 2200, username: "jump" },
      method: "ssh",
    },
    {
      kwargs: { ...sshKwargs, hostname: "10.1.0.1", password: "********", port: null, username: "relay" },
      method: "ssh",
    },
    {
      kwargs: {
        connect_timeout: 10,
        password: null,
        python_path: "/usr/bin/python3",
        remote_name: null,
        // -S is the runtime's own business (it answers the prompt on a PTY), so it is not forwarded.
        sudo_args: ["-H", "-n"],
        sudo_path: null,
        username: "admin",
      },
      method: "sudo",
    },
    {
      kwargs: { ...sshKwargs, hostname: "10.2.0.1", password: null, port: null, username: "ops" },
      method: "ssh",
    },
    {
      kwargs: {
        connect_timeout: 10,
        password: "********",
        python_path: "/usr/bin/python3",
        remote_name: null,
        sudo_args: ["-H"],
        sudo_path: null,
        username: "root",
      },
      method: "sudo",
    },
  ]);
  assertThrows(
    () => taskStack(request("loop_a"), {}),
    Error,
    "mitogen_via loop: loop_a -> loop_b -> loop_c -> loop_a",
  );
});
