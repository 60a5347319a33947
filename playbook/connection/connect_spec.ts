// A hop as the Broker's connect() takes it (transports/broker.ts ConnectSpec and the per-method specs in
// transports/ssh.ts, ssh2.ts, become.ts): the caller adds `via` (the previous hop's Context).
import type { HopSpec } from "./spec.ts";

/** The options for `broker.connect({ ...connectSpec(hop), via })`; absent settings are left out. */
export function connectSpec(hop: HopSpec): { method: string } & Record<string, unknown> {
  const common = compact({
    python: hop.python_path,
    maskName: hop.remote_name !== null ? true : undefined,
  });
  switch (hop.method) {
    case "local":
      return { method: "local", ...common };
    case "ssh":
    case "ssh2":
      return {
        method: hop.method,
        ...common,
        ...compact({
          hostname: hop.hostname,
          port: hop.port,
          username: hop.username,
          identityFile: hop.identity_file,
          identitiesOnly: hop.identities_only || undefined,
          password: hop.password,
          sshPath: hop.method === "ssh" ? hop.ssh_path : undefined,
          sshArgs: hop.method === "ssh" ? hop.ssh_args : undefined,
          debugLevel: hop.method === "ssh" ? hop.ssh_debug_level : undefined,
          compression: hop.compression,
          keepaliveCount: hop.keepalive_count,
          keepaliveInterval: hop.keepalive_interval,
          connectTimeout: hop.connect_timeout,
          checkHostKeys: hop.check_host_keys,
        }),
      };
    case "sudo":
    case "su":
    case "doas":
      return {
        method: hop.method,
        ...common,
        ...compact({
          user: hop.username,
          password: hop.password,
          path: hop.path,
          flags: hop.args,
          becomeTimeout: hop.connect_timeout,
        }),
      };
    case "kubectl":
      return {
        method: hop.method,
        ...common,
        ...compact({ pod: hop.pod, path: hop.kubectl_path, args: hop.kubectl_args }),
      };
    case "setns":
      return {
        method: hop.method,
        ...common,
        ...compact({
          container: hop.container,
          kind: hop.kind,
          username: hop.username,
          dockerPath: hop.docker_path,
          lxcPath: hop.lxc_path,
          lxcInfoPath: hop.lxc_info_path,
          machinectlPath: hop.machinectl_path,
        }),
      };
    default:
      return {
        method: hop.method,
        ...common,
        ...compact({ container: hop.container, username: hop.username, path: hop.path }),
      };
  }
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}
