// A hop as the Broker's connect() takes it (transports/broker.ts ConnectSpec and the per-method specs in
// transports/ssh.ts, ssh2.ts, become.ts, containers.ts): the caller adds `via` (the previous hop's Context).
import type { HopSpec, KubectlAuth } from "./spec.ts";
import { defaultBecomeFlags } from "./flags.ts";

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
          // ssh2 has no program to run, but reads the same flags (-o, -i, -p …) from ssh_args.
          sshPath: hop.method === "ssh" ? hop.ssh_path : undefined,
          sshArgs: words(hop.extra.args),
          sshCommonArgs: words(hop.extra.common_args),
          sshExtraArgs: words(hop.extra.extra_args),
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
          // become_flags as written when set: the target's become parser reads them itself; unset, those
          // of Ansible's become plugin (sudo's -H -S -n)
          flags: hop.extra.flags ??
            (hop.args.length ? hop.args : defaultBecomeFlags(hop.method) || undefined),
          becomeTimeout: hop.connect_timeout,
        }),
      };
    case "kubectl":
      return {
        method: hop.method,
        ...common,
        ...compact({
          pod: hop.pod,
          container: hop.extra.container,
          namespace: hop.extra.namespace,
          kubeconfig: hop.extra.kubeconfig,
          kubeContext: hop.extra.context,
          path: hop.kubectl_path,
          args: kubectlArgs(hop.extra),
          startTimeout: hop.connect_timeout,
        }),
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
          startTimeout: hop.connect_timeout,
        }),
      };
    default:
      return {
        method: hop.method,
        ...common,
        ...compact({
          container: hop.container,
          username: hop.username,
          path: hop.path,
          args: hop.extra.args,
          startTimeout: hop.connect_timeout,
        }),
      };
  }
}

function words(list: string[]): string[] | undefined {
  return list.length ? list : undefined;
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** kubectl's global flags: the credentials, then ansible_kubectl_extra_args split on spaces as Ansible does. */
function kubectlArgs(extra: { auth: KubectlAuth; args: string | null }): string[] | undefined {
  const args = [...kubectlAuthFlags(extra.auth), ...(extra.args?.split(" ").filter(Boolean) ?? [])];
  return args.length ? args : undefined;
}

/**
 * The API server and credentials as the global flags Ansible's kubectl connection passes, in its order;
 * validate_certs false skips verification (Ansible's plugin means to, through its verify_ssl alias).
 */
function kubectlAuthFlags(auth: KubectlAuth): string[] {
  const flags: [string, string | null][] = [
    ["--server", auth.server],
    ["--username", auth.username],
    ["--password", auth.password],
    ["--token", auth.token],
    ["--client-certificate", auth.client_cert],
    ["--client-key", auth.client_key],
    ["--certificate-authority", auth.ca_cert],
  ];
  const out = flags.flatMap(([flag, value]) => value ? [flag, value] : []);
  if (auth.validate_certs !== null) out.push(`--insecure-skip-tls-verify=${!auth.validate_certs}`);
  return out;
}
