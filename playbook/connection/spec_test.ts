// The connection translator on its own: each choice of how variables become hops settled the way
// ansible-playbook or Mitogen reads them.
import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { connectSpec } from "./connect_spec.ts";
import {
  buildStack,
  connectionMethod,
  describeStack,
  type HopSpec,
  StackError,
  type StackInput,
  stackKey,
} from "./spec.ts";

type Inv = Record<string, Record<string, unknown>>;

function build(inv: Inv, host: string, more: Partial<StackInput> = {}): HopSpec[] {
  return buildStack({ host, vars: (h) => inv[h] && ((n: string) => inv[h][n]), ...more });
}

Deno.test("connection names: Mitogen's mitogen_* names and collection prefixes name the same hop", () => {
  assertEquals(
    ["mitogen_ssh", "ansible.builtin.ssh", "smart", "paramiko", "mitogen_local", "community.docker.docker"]
      .map(connectionMethod),
    ["ssh", "ssh", "ssh", "ssh2", "local", "docker"],
  );
  assertEquals(connectionMethod("kubernetes.core.kubectl"), "kubectl");
  assertEquals(connectionMethod("containers.podman.podman"), "podman");
  assertEquals(connectionMethod("mitogen_sudo"), "sudo");
  // sudo is a become method; only Mitogen's mitogen_sudo is a connection.
  assertThrows(() => connectionMethod("sudo"), StackError, "unknown connection type 'sudo'");
  assertThrows(() => connectionMethod("winrm"), StackError, "unknown connection type 'winrm'");
});

Deno.test("booleans read as Ansible's config reads them: an unknown word is false, not an error", () => {
  const [hop] = build({ h: { ansible_host_key_checking: "maybe", mitogen_ssh_compression: "maybe" } }, "h");
  assertEquals(hop.method === "ssh" && [hop.check_host_keys, hop.compression], ["ignore", false]);
  assertEquals(build({ h: { ansible_become: "maybe" } }, "h", { keywords: { become: true } }).length, 1);
  assertEquals(build({ h: { ansible_become: " Yes " } }, "h").map((h) => h.method), ["ssh", "sudo"]);
});

Deno.test("built to connect, unset settings are null and ssh_args holds only what was set", () => {
  const inv: Inv = { h: { ansible_ssh_common_args: "-o Foo=bar" } };
  const [hop] = build(inv, "h", { defaults: "transport" });
  assertEquals(connectSpec(hop), {
    method: "ssh",
    hostname: "h",
    sshCommonArgs: ["-o", "Foo=bar"],
    checkHostKeys: "enforce",
  });
  // Shown, the same host has Mitogen's defaults, ssh_args first.
  assertEquals(describeStack(build(inv, "h"))[0].kwargs, {
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
    ssh_args: ["-C", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s", "-o", "Foo=bar"],
    ssh_debug_level: null,
    ssh_path: "ssh",
    username: null,
  });
});

Deno.test("ansible.cfg's ssh_executable is the ssh program, shown and used; the variable beats it", () => {
  const config = { sshExecutable: "/cfg/ssh" };
  assertEquals(connectSpec(build({ h: {} }, "h", { config, defaults: "transport" })[0]).sshPath, "/cfg/ssh");
  assertEquals(
    connectSpec(build({ h: { ansible_ssh_executable: "/opt/ssh" } }, "h", { config })[0]).sshPath,
    "/opt/ssh",
  );
});

Deno.test("ssh2 reads ssh_args' flags like ssh, but has no ssh program or debug level", () => {
  const inv: Inv = { h: { ansible_connection: "paramiko", ansible_ssh_extra_args: "-o Foo=bar" } };
  assertEquals(connectSpec(build(inv, "h", { defaults: "transport" })[0]), {
    method: "ssh2",
    hostname: "h",
    sshExtraArgs: ["-o", "Foo=bar"],
    checkHostKeys: "enforce",
  });
});

Deno.test("become waits for its prompt as long as the connection (ansible_timeout), as Mitogen does", () => {
  const stack = build({ h: { ansible_timeout: 20 } }, "h", { keywords: { become: true } });
  assertEquals(stack.map((h) => h.connect_timeout), [20, 20]);
  assertEquals(connectSpec(stack[1]).becomeTimeout, 20);
});

Deno.test("become_flags as written (else sudo's defaults) go to the target; Mitogen's view shows them parsed", () => {
  const stack = build({ h: { ansible_become_flags: "-H -E" } }, "h", { keywords: { become: true } });
  assertEquals(describeStack(stack)[1].kwargs.sudo_args, ["-H", "-E"]);
  assertEquals(connectSpec(stack[1]).flags, "-H -E");
  // none set: those of Ansible's sudo become plugin
  const plain = build({ h: {} }, "h", { keywords: { become: true }, defaults: "transport" });
  assertEquals(connectSpec(plain[1]), { method: "sudo", user: "root", flags: "-H -S -n" });
});

Deno.test("mitogen_mask_remote_name applies to the hops of the host that sets it", () => {
  const inv: Inv = { b: { mitogen_mask_remote_name: true }, t: { mitogen_via: "root@b" } };
  assertEquals(build(inv, "t").map((h) => [h.method, h.remote_name]), [
    ["ssh", "mito"],
    ["sudo", "mito"],
    ["ssh", null],
  ]);
});

Deno.test("kubectl's own options reach the Broker, and Mitogen's view keeps to Mitogen's kwargs", () => {
  const inv: Inv = {
    p: {
      ansible_connection: "kubectl",
      ansible_kubectl_namespace: "prod",
      ansible_kubectl_container: "main",
      ansible_kubectl_extra_args: "--request-timeout=5s",
      ansible_timeout: 7,
    },
  };
  const stack = build(inv, "p");
  assertEquals(connectSpec(stack[0]), {
    method: "kubectl",
    pod: "p",
    container: "main",
    namespace: "prod",
    args: ["--request-timeout=5s"],
    startTimeout: 7,
  });
  assertEquals(describeStack(stack)[0].kwargs, {
    connect_timeout: 7,
    kubectl_args: ["--request-timeout=5s"],
    kubectl_path: null,
    pod: "p",
    python_path: null,
    remote_name: null,
  });
});

Deno.test("kubectl's server and credentials become kubectl's global flags, in the order Ansible passes them", () => {
  const inv: Inv = {
    p: {
      ansible_connection: "kubernetes.core.kubectl",
      ansible_kubectl_server: "https://k8s:6443",
      ansible_kubectl_user: "alice",
      ansible_kubectl_api_key: "t0ken",
      ansible_kubectl_ca_cert: "/etc/k8s/ca.pem",
      ansible_kubectl_validate_certs: "no",
      ansible_kubectl_config: "/etc/k8s/config",
      ansible_kubectl_extra_args: "--v=2",
    },
  };
  assertEquals(connectSpec(build(inv, "p")[0]), {
    method: "kubectl",
    pod: "p",
    kubeconfig: "/etc/k8s/config",
    args: [
      "--server",
      "https://k8s:6443",
      "--username",
      "alice",
      "--token",
      "t0ken",
      "--certificate-authority",
      "/etc/k8s/ca.pem",
      "--insecure-skip-tls-verify=true",
      "--v=2",
    ],
    startTimeout: 10,
  });
});

Deno.test("the reuse key tells pods of one name in two namespaces apart and never holds a token", () => {
  const key = (vars: Record<string, unknown>) =>
    stackKey(build({ p: { ansible_connection: "kubectl", ...vars } }, "p"));
  const prod = key({ ansible_kubectl_namespace: "prod", ansible_kubectl_token: "s3cret" });
  assertEquals(prod === key({ ansible_kubectl_namespace: "test", ansible_kubectl_token: "s3cret" }), false);
  assertEquals(prod === key({ ansible_kubectl_namespace: "prod", ansible_kubectl_token: "other" }), false);
  assertEquals(prod, key({ ansible_kubectl_namespace: "prod", ansible_kubectl_token: "s3cret" }));
  assertEquals(prod.includes("s3cret"), false);
});

Deno.test("an intermediary missing from the inventory is named with the host whose mitogen_via names it", () => {
  assertThrows(
    () => build({ t: { mitogen_via: "mid" }, mid: { mitogen_via: "gone" } }, "t"),
    StackError,
    `mitogen_via of mid names "gone", which is not in the inventory`,
  );
});

Deno.test("the ssh password: ansible_ssh_pass, then ansible_ssh_password, then ansible_password", () => {
  const password = (vars: Record<string, unknown>) => connectSpec(build({ h: vars }, "h")[0]).password;
  assertEquals(password({ ansible_ssh_pass: "a", ansible_password: "c" }), "a");
  assertEquals(password({ ansible_ssh_password: "b", ansible_password: "c" }), "b");
  assertEquals(password({ ansible_password: "c" }), "c");
});

Deno.test("a become the executor already decided is final: the host's ansible_become does not bring it back", () => {
  const inv: Inv = { h: { ansible_become: true, ansible_become_user: "pg" } };
  assertEquals(build(inv, "h").map((h) => h.method), ["ssh", "sudo"]);
  assertEquals(build(inv, "h", { keywords: { become: false }, becomeDecided: true }).map((h) => h.method), [
    "ssh",
  ]);
  const [, sudo] = build(inv, "h", { keywords: { become: true, become_user: "www" }, becomeDecided: true });
  assertEquals(sudo.method === "sudo" && sudo.username, "www");
});

Deno.test("ssh_args keeps its three parts apart for the Broker, joined in Mitogen's view", () => {
  const inv: Inv = {
    h: { ansible_ssh_args: "-4", ansible_ssh_common_args: "-A", ansible_ssh_extra_args: "-v" },
  };
  const [hop] = build(inv, "h", { defaults: "transport" });
  assertEquals(hop.method === "ssh" && hop.ssh_args, ["-4", "-A", "-v"]);
  const { sshArgs, sshCommonArgs, sshExtraArgs } = connectSpec(hop);
  assertEquals([sshArgs, sshCommonArgs, sshExtraArgs], [["-4"], ["-A"], ["-v"]]);
});

Deno.test("becoming the login user adds no hop, unless become_allow_same_user; local logs in as the controller's user", () => {
  const methods = (inv: Inv, more: Partial<StackInput>) => build(inv, "h", more).map((h) => h.method);
  const ssh = { h: { ansible_user: "deploy" } };
  assertEquals(methods(ssh, { keywords: { become: true, become_user: "deploy" } }), ["ssh"]);
  assertEquals(methods(ssh, { keywords: { become: true, become_user: "root" } }), ["ssh", "sudo"]);
  assertEquals(
    methods(ssh, {
      keywords: { become: true, become_user: "deploy" },
      config: { becomeAllowSameUser: true },
    }),
    ["ssh", "sudo"],
  );
  // no login user known: the become stays (Ansible's check needs both names)
  assertEquals(methods({ h: {} }, { keywords: { become: true, become_user: "root" } }), ["ssh", "sudo"]);
  const local = { h: { ansible_connection: "local" } };
  const root = { keywords: { become: true, become_user: "root" } };
  assertEquals(methods(local, { ...root, config: { localUser: "root" } }), ["local"]);
  assertEquals(methods(local, { ...root, config: { localUser: "alice" } }), ["local", "sudo"]);
  // Mitogen's view (no local user given) keeps it, as mitogen_get_stack shows
  assertEquals(methods(local, root), ["local", "sudo"]);
});
