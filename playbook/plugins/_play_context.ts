// Ansible's PlayContext as a Python action plugin reads it (self._play_context): every attribute 2.14's
// has, from the task's module request, each connection attribute from the first of Ansible's variables
// for it (its MAGIC_VARIABLE_MAPPING) that the host sets, else the run's setting, else Ansible's default.
import { boolean } from "../py/boolean.ts";
import { defaultBecomeFlags } from "../connection/flags.ts";
import type { ModuleRequest } from "../runner.ts";

/** What the play context knows beyond the task's request. */
export interface PlayContextRun {
  /** The play's force_handlers (or the run's). */
  forceHandlers: boolean;
}

export function playContext(r: ModuleRequest, noLog: boolean, run: PlayContextRun): Record<string, unknown> {
  const conn = r.connectionVars;
  // the first variable set, else the run's default (connectionVars holds both: ansible_* and bare names)
  const pick = (names: string[], dflt?: string): unknown => {
    for (const n of names) if (conn[n] !== undefined) return conn[n];
    return dflt === undefined ? undefined : conn[dflt];
  };
  const connection = pick(["ansible_connection"]) ?? conn.keyword_connection ?? conn.connection ?? "ssh";
  const remoteUser = pick(["ansible_ssh_user", "ansible_user"]) ?? conn.keyword_remote_user ??
    conn.remote_user ??
    null;
  const become = r.become.become;
  return {
    // Base's attributes, which a PlayContext never takes from the task
    any_errors_fatal: false,
    debugger: null,
    environment: null,
    ignore_errors: null,
    ignore_unreachable: null,
    module_defaults: null,
    name: "",
    run_once: null,
    throttle: 0,
    vars: {},
    // the task's
    check_mode: r.checkMode,
    diff: r.diff,
    no_log: noLog,
    // the connection's
    connection,
    remote_addr: pick(["ansible_ssh_host", "ansible_host"]) ?? r.targetHost,
    remote_user: remoteUser,
    password: pick(["ansible_ssh_pass", "ansible_password"], "password") ?? null,
    port: pick(["ansible_ssh_port", "ansible_port"]) ?? conn.keyword_port ?? conn.port ?? null,
    pipelining: boolean(pick(["ansible_ssh_pipelining", "ansible_pipelining"], "pipelining") ?? false, {
      strict: false,
    }),
    timeout: Number(pick(["ansible_ssh_timeout", "ansible_timeout"], "timeout") ?? 10),
    private_key_file:
      pick(["ansible_ssh_private_key_file", "ansible_private_key_file"], "private_key_file") ?? null,
    // Ansible's local connection is made as the remote user when no other is named
    connection_user: pick(["ansible_connection_user"]) ?? (connection === "local" ? remoteUser : null),
    network_os: pick(["ansible_network_os"]) ?? null,
    docker_extra_args: pick(["ansible_docker_extra_args"]) ?? null,
    connection_lockfd: null,
    module_compression: pick(["ansible_module_compression"]) ?? "ZIP_DEFLATED",
    shell: pick(["ansible_shell_type"]) ?? null,
    executable: pick(["ansible_shell_executable"], "executable") ?? "/bin/sh",
    // become's: the plugin's options, which exist only when the task becomes
    become,
    become_method: r.become.method,
    become_user: become ? r.become.user : null,
    become_pass: r.become.password ?? null,
    become_exe: become ? r.become.exe ?? r.become.method : null,
    become_flags: become ? r.become.flags ?? defaultBecomeFlags(r.become.method) : null,
    prompt: "",
    success_key: "",
    // the run's: tags are never set on a PlayContext in 2.14, and the task that runs is past start-at-task
    only_tags: [],
    skip_tags: [],
    start_at_task: null,
    step: false,
    force_handlers: run.forceHandlers,
    verbosity: r.verbosity,
  };
}
