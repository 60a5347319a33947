// Action names mito accepts without a library/ file: ansible-core's builtin modules and mito's own.
// A key that is neither a keyword nor one of these (nor a dotted collection name) is reported as an
// unknown keyword or action, with its file and line, instead of failing later on the target.
export const KNOWN_MODULES = new Set(
  (
    "add_host apt apt_key apt_repository assemble assert async_status blockinfile command copy cron " +
    "debconf debug dnf dpkg_selections expect fail fetch file find gather_facts get_url getent git group " +
    "group_by hostname import_playbook import_role import_tasks include include_role include_tasks " +
    "include_vars iptables known_hosts lineinfile meta package package_facts pause ping pip raw reboot " +
    "replace rpm_key script service service_facts set_fact set_stats setup shell slurp stat subversion " +
    "systemd systemd_service sysvinit tempfile template unarchive uri user validate_argument_spec wait_for " +
    "wait_for_connection yum yum_repository authorized_key mount sysctl synchronize mitogen_get_stack"
  ).split(" "),
);
