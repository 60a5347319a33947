// Connection stacks from inventory variables, config and keywords (no connecting).
import { assertEquals, assertThrows } from "./_assert.ts";
import {
  buildStack,
  connectSpec,
  describeStack,
  type HopSpec,
  type StackConfig,
  StackError,
  stackKey,
  type StackKeywords,
} from "../playbook/connection/mod.ts";

type Inv = Record<string, Record<string, unknown>>;

function stack(inv: Inv, host: string, keywords: StackKeywords = {}, config: StackConfig = {}) {
  const vars = (h: string) => {
    if (!inv[h]) throw new Error(`no host ${h}`);
    return (n: string) => inv[h][n];
  };
  return describeStack(buildStack({ host, vars, config, keywords })) as { kwargs: unknown; method: string }[];
}

const DEFAULT_ARGS = ["-C", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s"];
const ssh = (over: Record<string, unknown>) => ({
  kwargs: {
    check_host_keys: "enforce",
    compression: false,
    connect_timeout: 10,
    hostname: "h",
    identities_only: false,
    identity_file: null,
    keepalive_count: 10,
    keepalive_interval: 30,
    password: null,
    port: null,
    python_path: null,
    remote_name: null,
    ssh_args: DEFAULT_ARGS,
    ssh_debug_level: null,
    ssh_path: "ssh",
    username: null,
    ...over,
  },
  method: "ssh" as const,
});
const sudo = (over: Record<string, unknown>) => ({
  kwargs: {
    connect_timeout: 10,
    password: null,
    python_path: null,
    remote_name: null,
    sudo_args: ["-H", "-n"],
    sudo_path: null,
    username: "root",
    ...over,
  },
  method: "sudo" as const,
});

Deno.test("a bare host is one ssh hop to its inventory name with Mitogen's defaults", () => {
  assertEquals(stack({ h: {} }, "h"), [ssh({})]);
});

Deno.test("ssh settings come from the aliases in Ansible's order, then keywords, then config", () => {
  const inv: Inv = {
    h: {
      ansible_host: "10.0.0.1",
      ansible_ssh_host: "ignored",
      ansible_user: "deploy",
      ansible_ssh_user: "ignored",
      ansible_port: "2222",
      ansible_ssh_pass: "old",
      ansible_password: "new",
      ansible_ssh_private_key_file: "/k/id",
      ansible_ssh_common_args: "-o 'ProxyCommand=nc %h %p'",
      ansible_ssh_extra_args: "-v",
      ansible_ssh_executable: "/opt/ssh",
      ansible_ssh_timeout: 30,
      ansible_timeout: 5,
      ansible_python_interpreter: "/usr/bin/python3",
      mitogen_ssh_debug_level: 3,
      mitogen_ssh_compression: "no",
      mitogen_ssh_keepalive_count: 4,
      mitogen_ssh_keepalive_interval: 15,
      mitogen_mask_remote_name: true,
    },
  };
  assertEquals(stack(inv, "h", { remote_user: "kw" }, { remoteUser: "cfg", hostKeyChecking: false }), [
    ssh({
      hostname: "10.0.0.1",
      username: "deploy",
      port: 2222,
      password: "********",
      identity_file: "/k/id",
      ssh_args: [...DEFAULT_ARGS, "-o", "ProxyCommand=nc %h %p", "-v"],
      ssh_path: "/opt/ssh",
      connect_timeout: 30,
      python_path: "/usr/bin/python3",
      ssh_debug_level: 3,
      compression: false,
      keepalive_count: 4,
      keepalive_interval: 15,
      remote_name: "mito",
      check_host_keys: "ignore",
    }),
  ]);
  assertEquals(
    stack({ h: {} }, "h", { remote_user: "kw" }, { remoteUser: "cfg", timeout: 7, remotePort: 22 }),
    [
      ssh({ username: "kw", connect_timeout: 7, port: 22 }),
    ],
  );
  assertEquals(
    stack({ h: {} }, "h", {}, {
      remoteUser: "cfg",
      sshArgs: "-4",
      sshCommonArgs: "-A",
      privateKeyFile: "/k",
    }),
    [ssh({ username: "cfg", ssh_args: ["-4", "-A"], identity_file: "/k" })],
  );
});

Deno.test("connection names: smart is ssh, paramiko is ssh2, local is local", () => {
  assertEquals(stack({ h: { ansible_connection: "smart" } }, "h")[0].method, "ssh");
  assertEquals(stack({ h: { ansible_connection: "paramiko" } }, "h")[0].method, "ssh2");
  assertEquals(stack({ h: {} }, "h", { connection: "ssh2" })[0].method, "ssh2");
  assertEquals(stack({ localhost: { ansible_connection: "local" } }, "localhost"), [
    { kwargs: { connect_timeout: 10, python_path: null, remote_name: null }, method: "local" },
  ]);
  assertThrows(
    () => stack({ h: { ansible_connection: "winrm" } }, "h"),
    StackError,
    "unknown connection type 'winrm'",
  );
});

Deno.test("container connections name the container and their program's path", () => {
  const c = (conn: string, vars: Record<string, unknown> = {}) =>
    stack({ h: { ansible_connection: conn, ansible_host: "box", ansible_user: "app", ...vars } }, "h")[0];
  const base = {
    connect_timeout: 10,
    container: "box",
    python_path: null,
    remote_name: null,
    username: "app",
  };
  assertEquals(c("docker", { mitogen_docker_path: "/d" }), {
    kwargs: { ...base, docker_path: "/d" },
    method: "docker",
  });
  assertEquals(c("podman"), { kwargs: { ...base, podman_path: null }, method: "podman" });
  assertEquals(c("buildah"), { kwargs: { ...base, buildah_path: null }, method: "buildah" });
  assertEquals(c("lxc", { mitogen_lxc_attach_path: "/la" }), {
    kwargs: { ...base, lxc_attach_path: "/la" },
    method: "lxc",
  });
  assertEquals(c("lxd", { mitogen_lxc_path: "/l" }), { kwargs: { ...base, lxc_path: "/l" }, method: "lxd" });
  assertEquals(c("machinectl", { mitogen_machinectl_path: "/m" }), {
    kwargs: { ...base, machinectl_path: "/m" },
    method: "machinectl",
  });
  assertEquals(c("jail"), { kwargs: { ...base, jexec_path: null }, method: "jail" });
  assertEquals(c("chroot"), { kwargs: { ...base, chroot_path: null }, method: "chroot" });
  assertEquals(c("kubectl", { ansible_kubectl_extra_args: "-n prod" }), {
    kwargs: {
      connect_timeout: 10,
      kubectl_args: ["-n", "prod"],
      kubectl_path: null,
      pod: "box",
      python_path: null,
      remote_name: null,
    },
    method: "kubectl",
  });
  assertEquals(c("setns", { mitogen_kind: "docker", mitogen_docker_path: "/d" }), {
    kwargs: {
      connect_timeout: 10,
      container: "box",
      docker_path: "/d",
      kind: "docker",
      lxc_info_path: null,
      lxc_path: null,
      machinectl_path: null,
      python_path: null,
      remote_name: null,
      username: "app",
    },
    method: "setns",
  });
  assertThrows(() => c("setns"), StackError, "mitogen_kind");
});

Deno.test("mitogen_sudo/su/doas as connection methods become ansible_user on the controller", () => {
  assertEquals(
    stack({ h: { ansible_connection: "mitogen_sudo", ansible_user: "app", ansible_password: "apw" } }, "h"),
    [
      sudo({ username: "app", password: "********", sudo_args: ["-H"] }),
    ],
  );
  assertEquals(
    stack({ h: { ansible_connection: "mitogen_su", ansible_user: "bob", ansible_su_pass: "pw" } }, "h"),
    [
      {
        kwargs: {
          connect_timeout: 10,
          password: "********",
          python_path: null,
          remote_name: null,
          su_args: [],
          su_path: null,
          username: "bob",
        },
        method: "su",
      },
    ],
  );
});

Deno.test("become is a further hop; variables beat keywords, keywords beat config", () => {
  assertEquals(stack({ h: {} }, "h", { become: true }), [ssh({}), sudo({})]);
  assertEquals(stack({ h: {} }, "h", {}, { become: true, becomeUser: "svc" }), [
    ssh({}),
    sudo({ username: "svc" }),
  ]);
  assertEquals(
    stack({ h: { ansible_become: false } }, "h", { become: true }),
    [ssh({})],
  );
  assertEquals(
    stack(
      { h: { ansible_become_user: "pg", ansible_sudo_pass: "x", ansible_become_exe: "/bin/sudo" } },
      "h",
      {
        become: true,
        become_user: "ignored",
      },
    ),
    // With a password sudo must be allowed to prompt, so -n is dropped.
    [ssh({}), sudo({ username: "pg", password: "********", sudo_path: "/bin/sudo", sudo_args: ["-H"] })],
  );
  assertEquals(stack({ h: { ansible_become_method: "doas" } }, "h", { become: true })[1], {
    kwargs: {
      connect_timeout: 10,
      doas_args: [],
      doas_path: null,
      password: null,
      python_path: null,
      remote_name: null,
      username: "root",
    },
    method: "doas",
  });
  assertThrows(
    () => stack({ h: {} }, "h", { become: true, become_method: "runas" }),
    StackError,
    "become method 'runas' is not supported",
  );
});

const CHAIN: Inv = {
  bastion: { ansible_host: "b.example", ansible_user: "jump", ansible_become_pass: "bpw" },
  mid: { mitogen_via: "sudo:admin@bastion", ansible_password: "midpw" },
  target: { mitogen_via: "mid", ansible_host: "10.9.9.9" },
};

Deno.test("mitogen_via chains: two and three levels, become in the middle with the intermediary's password", () => {
  assertEquals(stack(CHAIN, "mid"), [
    ssh({ hostname: "b.example", username: "jump" }),
    sudo({ username: "admin", password: "********", sudo_args: ["-H"] }),
    ssh({ hostname: "mid", password: "********" }),
  ]);
  assertEquals(stack(CHAIN, "target", { become: true }), [
    ssh({ hostname: "b.example", username: "jump" }),
    sudo({ username: "admin", password: "********", sudo_args: ["-H"] }),
    ssh({ hostname: "mid", password: "********" }),
    ssh({ hostname: "10.9.9.9" }),
    sudo({}),
  ]);
  assertEquals(
    stack({ ...CHAIN, x: { mitogen_via: "ops@bastion" } }, "x")[1],
    sudo({
      username: "ops",
      password: "********",
      sudo_args: ["-H"],
    }),
  );
});

Deno.test("a mitogen_via loop is an error naming the chain", () => {
  assertThrows(
    () => stack({ a: { mitogen_via: "b" }, b: { mitogen_via: "c" }, c: { mitogen_via: "a" } }, "a"),
    StackError,
    "mitogen_via loop: a -> b -> c -> a",
  );
  assertThrows(() => stack({ a: { mitogen_via: "root@a" } }, "a"), StackError, "mitogen_via loop: a -> a");
  assertThrows(
    () => stack({ h: {}, d: { mitogen_via: "x" }, x: { mitogen_via: "d" } }, "h", { delegate_to: "d" }),
    StackError,
    "mitogen_via loop: d -> x -> d",
  );
});

Deno.test("mitogen_via given to every host (-e) reaches the named bastion itself directly", () => {
  const inv: Inv = { b: { mitogen_via: "b" }, t: { mitogen_via: "b" } };
  assertEquals(stack(inv, "b"), [ssh({ hostname: "b" })]);
  assertEquals(stack(inv, "t"), [ssh({ hostname: "b" }), ssh({ hostname: "t" })]);
});

Deno.test("delegate_to uses the delegate's stack with the delegating task's become; localhost is local", () => {
  assertEquals(stack(CHAIN, "target", { delegate_to: "bastion", become: true, become_user: "web" }), [
    ssh({ hostname: "b.example", username: "jump" }),
    sudo({ username: "web", password: "********", sudo_args: ["-H"] }),
  ]);
  assertEquals(
    stack({ ...CHAIN, localhost: { ansible_connection: "local" } }, "target", { delegate_to: "localhost" }),
    [
      { kwargs: { connect_timeout: 10, python_path: null, remote_name: null }, method: "local" },
    ],
  );
});

Deno.test("stack keys are equal for equal stacks and never contain a password", () => {
  const vars = (pw: string) => (_h: string) => (n: string) => n === "ansible_password" ? pw : undefined;
  const a: HopSpec[] = buildStack({ host: "h", vars: vars("one") });
  const b: HopSpec[] = buildStack({ host: "h", vars: vars("one") });
  const c: HopSpec[] = buildStack({ host: "h", vars: vars("two") });
  assertEquals(stackKey(a), stackKey(b));
  assertEquals(stackKey(a) === stackKey(c), false);
  assertEquals(stackKey(a).includes("one"), false);
});

Deno.test("connectSpec gives the Broker's option names; unset settings are left to the transport", () => {
  const vars = (h: string) => (n: string) =>
    ({
      b: {
        ansible_host: "b.example",
        ansible_user: "jump",
        ansible_ssh_pass: "pw",
        ansible_become_pass: "bp",
      },
      t: {
        mitogen_via: "admin@b",
        ansible_python_interpreter: "/usr/bin/python3",
        mitogen_mask_remote_name: true,
      },
    } as Record<string, Record<string, unknown>>)[h][n];
  assertEquals(buildStack({ host: "t", vars }).map(connectSpec), [
    {
      method: "ssh",
      hostname: "b.example",
      username: "jump",
      password: "pw",
      sshPath: "ssh",
      sshArgs: DEFAULT_ARGS,
      compression: false,
      keepaliveCount: 10,
      keepaliveInterval: 30,
      connectTimeout: 10,
      checkHostKeys: "enforce",
    },
    { method: "sudo", user: "admin", password: "bp", flags: ["-H"], becomeTimeout: 10 },
    {
      method: "ssh",
      python: "/usr/bin/python3",
      maskName: true,
      hostname: "t",
      sshPath: "ssh",
      sshArgs: DEFAULT_ARGS,
      compression: false,
      keepaliveCount: 10,
      keepaliveInterval: 30,
      connectTimeout: 10,
      checkHostKeys: "enforce",
    },
  ]);
});
