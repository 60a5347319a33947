// The runner's plan (playbook/remote/plan.ts) for container and chroot connections: which hop, with which
// settings, from which variables — and that `mito stack` (playbook/connection) reads them the same way.
import { assertEquals, assertThrows } from "./_assert.ts";
import type { ModuleRequest } from "../playbook/runner.ts";
import { buildStack, connectSpec } from "../playbook/connection/mod.ts";
import { ConnectionPlanError, planConnection } from "../playbook/remote/plan.ts";

const PY = { ansible_python_interpreter: "/usr/bin/python3" };
const INVENTORY: Record<string, Record<string, unknown>> = {
  dockerhost: { ...PY, ansible_host: "10.0.0.7", ansible_user: "ops" },
  web: { ...PY, ansible_connection: "docker", ansible_user: "www", mitogen_docker_path: "/opt/docker" },
  app: {
    ...PY,
    ansible_connection: "community.docker.docker",
    ansible_host: "app-1",
    mitogen_via: "dockerhost",
  },
  pod: {
    ...PY,
    ansible_connection: "kubectl",
    ansible_kubectl_container: "main",
    ansible_kubectl_namespace: "prod",
    ansible_kubectl_extra_args: ["--request-timeout=5s"],
  },
  ns: {
    ...PY,
    ansible_connection: "setns",
    mitogen_kind: "lxc",
    ansible_host: "c1",
    ansible_user: "app",
    mitogen_lxc_info_path: "/opt/lxc-info",
  },
  nokind: { ...PY, ansible_connection: "setns" },
  machine: {
    ...PY,
    ansible_connection: "mitogen_machinectl",
    mitogen_machinectl_path: "/usr/bin/machinectl",
  },
  classic: { ...PY, ansible_connection: "lxc", mitogen_lxc_attach_path: "/opt/lxc-attach" },
  modern: { ...PY, ansible_connection: "lxd", mitogen_lxc_path: "/snap/bin/lxc" },
  jail1: { ...PY, ansible_connection: "jail", ansible_user: "www" },
  root: { ansible_connection: "chroot", ansible_host: "/srv/roots/bullseye", ansible_timeout: 20 },
  build: { ...PY, ansible_connection: "buildah", ansible_host: "working-container" },
  pm: { ...PY, ansible_connection: "podman", ansible_podman_extra_args: "--remote" },
};

function plan(host: string) {
  const req: ModuleRequest = {
    host,
    targetHost: host,
    module: "ping",
    args: {},
    checkMode: false,
    diff: false,
    noLog: false,
    become: { become: false, method: "sudo", user: "root" },
    environment: {},
    connectionVars: INVENTORY[host],
    hostConnectionVars: (h) => INVENTORY[h],
    searchPath: [],
    asyncSeconds: 0,
    poll: 15,
    timeout: 0,
    verbosity: 0,
  };
  return planConnection(req, {}).hops;
}

const py = { python: "/usr/bin/python3" };

Deno.test("plan: each container connection becomes one hop with its tool settings", () => {
  assertEquals(plan("web"), [{
    method: "docker",
    ...py,
    container: "web",
    username: "www",
    path: "/opt/docker",
  }]);
  assertEquals(plan("pod"), [{
    method: "kubectl",
    ...py,
    pod: "pod",
    container: "main",
    namespace: "prod",
    args: ["--request-timeout=5s"],
  }]);
  assertEquals(plan("ns"), [{
    method: "setns",
    ...py,
    container: "c1",
    kind: "lxc",
    username: "app",
    lxcInfoPath: "/opt/lxc-info",
  }]);
  assertEquals(plan("machine"), [{
    method: "machinectl",
    ...py,
    container: "machine",
    path: "/usr/bin/machinectl",
  }]);
  assertEquals(plan("classic"), [{ method: "lxc", ...py, container: "classic", path: "/opt/lxc-attach" }]);
  assertEquals(plan("modern"), [{ method: "lxd", ...py, container: "modern", path: "/snap/bin/lxc" }]);
  assertEquals(plan("jail1"), [{ method: "jail", ...py, container: "jail1", username: "www" }]);
  assertEquals(plan("build"), [{ method: "buildah", ...py, container: "working-container" }]);
  assertEquals(plan("pm"), [{ method: "podman", ...py, container: "pm", args: "--remote" }]);
});

Deno.test("plan: chroot with interpreter discovery and the connection timeout", () => {
  const [hop] = plan("root");
  assertEquals([hop.method, hop.container, hop.startTimeout], ["chroot", "/srv/roots/bullseye", 20]);
  assertEquals(String(hop.python).startsWith('"$(command -v /usr/bin/python3'), true);
});

Deno.test("plan: a container behind a docker host (mitogen_via) is started by the host's context", () => {
  assertEquals(plan("app").map((h) => [h.method, h.hostname ?? h.container, h.username ?? null]), [
    ["ssh", "10.0.0.7", "ops"],
    ["docker", "app-1", null],
  ]);
});

Deno.test("plan: setns without mitogen_kind is refused, naming the host", () => {
  assertThrows(
    () => plan("nokind"),
    ConnectionPlanError,
    "host nokind: the setns connection needs mitogen_kind",
  );
});

Deno.test("mito stack and the runner agree on container hops: method, container, user, tool path", () => {
  const vars = (h: string) => (n: string) => INVENTORY[h]?.[n];
  const pick = (
    h: Record<string, unknown>,
  ) => [h.method, h.container ?? h.pod ?? null, h.username ?? null, h.path ?? null, h.kind ?? null];
  for (const host of ["web", "ns", "machine", "classic", "modern", "jail1", "root", "build", "app"]) {
    const fromStack = buildStack({ host, vars }).map((hop) => pick(connectSpec(hop)));
    assertEquals(plan(host).map(pick), fromStack, host);
  }
});
