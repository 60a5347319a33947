// Pure generators for the playbook benchmark: the scenarios of issue 6, their playbooks, inventories
// and ansible.cfg. No I/O here; playbooks.ts writes what these return into a temporary directory.
//
// Every playbook ends by checking its own result on the target (file counts, sizes, registered results,
// distinct ssh connections), so a runner that silently did nothing fails instead of looking fast.

export type ScenarioKind =
  | "loop-items"
  | "loop-collection"
  | "loop-tasks"
  | "loop-copies"
  | "loop-templates"
  | "file-transfer"
  | "includes"
  | "fanout"
  | "big-values"
  | "role";

export interface Scenario {
  /** Name as given on the command line and shown in the tables. */
  name: string;
  /** The issue's name for a family of scenarios (`fanout` selects fanout-50, fanout-200, ...). */
  group: string;
  kind: ScenarioKind;
  /** Inventory hosts, all reaching the same sshd over separate connections. */
  hosts: number;
  /** Loop items or tasks the scenario repeats (for bytes per item). */
  items: number;
  gatherFacts?: boolean;
  /** file-transfer: bytes of the file copied, and whether the copy goes through sudo. */
  transferBytes?: number;
  sudo?: boolean;
  /** big-values: bytes of the registered output and of the looked-up file (the largest value held). */
  valueBytes?: number;
  /** Skipped by --quick. */
  slow?: boolean;
  /** Also run by `mito-auto` and `mito-bin-auto` (Ansible's own modules, mito's default with ansible-core). */
  ansibleModules?: boolean;
  /**
   * Who the playbook logs in as: the plain account (the default) or root, whose shell rc on these machines
   * runs `pyenv init` (a slower login, as many real root accounts have).
   */
  login?: "plain" | "root";
}

/** A scenario's root-login twin: same play, logging in as root, named `<name>-root` in the same group. */
function asRoot(s: Scenario): Scenario {
  return { ...s, name: `${s.name}-root`, login: "root" };
}

const LOOP_ITEMS: Scenario = {
  name: "loop-100-items",
  group: "loop-100-items",
  kind: "loop-items",
  hosts: 1,
  items: 100,
  ansibleModules: true,
};
/**
 * loop-100-items with a collection's module instead of command (community.general.ini_file, Debian's
 * ansible package): the same loop through the collection path (module resolution, its import), set beside
 * the command loop (issue 15: ≤ 1.3× its time).
 */
const LOOP_COLLECTION: Scenario = {
  name: "loop-100-collection",
  group: "loop-100-collection",
  kind: "loop-collection",
  hosts: 1,
  items: 100,
  ansibleModules: true,
};
const LOOP_TASKS: Scenario = {
  name: "loop-100-tasks",
  group: "loop-100-tasks",
  kind: "loop-tasks",
  hosts: 1,
  items: 100,
  ansibleModules: true,
};
/** A role of 30 tasks: file, template, lineinfile and command in turn (see roleTasks). */
const ROLE: Scenario = {
  name: "role-30-tasks",
  group: "role-30-tasks",
  kind: "role",
  hosts: 1,
  items: 30,
  ansibleModules: true,
};

const MiB = 1024 * 1024;

export const SCENARIOS: readonly Scenario[] = [
  LOOP_ITEMS,
  asRoot(LOOP_ITEMS),
  LOOP_COLLECTION,
  LOOP_TASKS,
  asRoot(LOOP_TASKS),
  ROLE,
  asRoot(ROLE),
  { name: "loop-100-copies", group: "loop-100-copies", kind: "loop-copies", hosts: 1, items: 100 },
  { name: "loop-20-templates", group: "loop-20-templates", kind: "loop-templates", hosts: 1, items: 20 },
  {
    name: "file-transfer-32M",
    group: "file-transfer",
    kind: "file-transfer",
    hosts: 1,
    items: 1,
    transferBytes: 32 * MiB,
  },
  {
    name: "file-transfer-32M-sudo",
    group: "file-transfer",
    kind: "file-transfer",
    hosts: 1,
    items: 1,
    transferBytes: 32 * MiB,
    sudo: true,
  },
  {
    name: "file-transfer-320M",
    group: "file-transfer",
    kind: "file-transfer",
    hosts: 1,
    items: 1,
    transferBytes: 320 * MiB,
    slow: true,
  },
  {
    name: "file-transfer-320M-sudo",
    group: "file-transfer",
    kind: "file-transfer",
    hosts: 1,
    items: 1,
    transferBytes: 320 * MiB,
    sudo: true,
    slow: true,
  },
  { name: "includes-1000", group: "includes-1000", kind: "includes", hosts: 1, items: 1000 },
  { name: "fanout-50", group: "fanout", kind: "fanout", hosts: 50, items: 10 },
  { name: "fanout-200", group: "fanout", kind: "fanout", hosts: 200, items: 10 },
  { name: "fanout-50-facts", group: "fanout", kind: "fanout", hosts: 50, items: 10, gatherFacts: true },
  {
    name: "big-values-100M",
    group: "big-values",
    kind: "big-values",
    hosts: 1,
    items: 1,
    valueBytes: 100_000_000,
    slow: true,
  },
];

export class UnknownScenarioError extends Error {
  override name = "UnknownScenarioError";
  constructor(readonly given: string) {
    const names = [...new Set(SCENARIOS.flatMap((s) => [s.group, s.name]))].join(", ");
    super(`unknown scenario '${given}' (known: ${names})`);
  }
}

/** The scenarios named (by name or group; all when none), in the table's order; --quick drops slow ones. */
export function selectScenarios(names: string[], quick: boolean): Scenario[] {
  for (const n of names) {
    if (!SCENARIOS.some((s) => s.name === n || s.group === n)) throw new UnknownScenarioError(n);
  }
  return SCENARIOS.filter((s) =>
    (names.length === 0 || names.some((n) => s.name === n || s.group === n)) && !(quick && s.slow)
  );
}

/** Where a scenario's run finds the test sshd and writes on the target. */
export interface Target {
  /** Address and port ssh connects to (the sshd itself, or the latency proxy in front of it). */
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  python: string;
  /** Directory on the target the playbook may create and remove (its own, per runner and scenario). */
  remoteDir: string;
  /** Per-host ssh ControlPath sockets live here (keeps hosts on separate connections). */
  controlDir: string;
}

/** Controller-side inputs a scenario copies: the 100-file tree and the big files. */
export interface Assets {
  treeDir: string;
  /** file-transfer sources by size in bytes. */
  bigFiles: Record<number, string>;
  /** big-values: text files (lines of text) for lookup('file'), by size in bytes. */
  textFiles?: Record<number, string>;
}

/** A line of the big-values lookup file: text, so every runner reads the same characters. */
export const TEXT_LINE = "a line of the file that big-values reads with lookup('file')\n";

/** Lines of TEXT_LINE in the big-values lookup file of (at least) `bytes` bytes: whole lines only. */
export function textFileLines(bytes: number): number {
  return Math.ceil(bytes / TEXT_LINE.length);
}

export function hostNames(count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `h${String(i + 1).padStart(width, "0")}`);
}

/**
 * INI inventory: one line per host, all pointing at the same sshd. Each host gets its own ControlPath
 * (literal, as Mitogen does not template ssh arguments): Ansible would otherwise share one ControlMaster
 * between hosts with the same address, and Mitogen one connection between identical connection specs.
 */
export function inventoryText(hostCount: number, t: Target): string {
  const lines = ["[targets]"];
  for (const name of hostNames(hostCount)) {
    const args = [
      `-o UserKnownHostsFile=${t.knownHostsFile}`,
      "-o StrictHostKeyChecking=yes",
      `-o ControlPath=${t.controlDir}/${name}`,
    ].join(" ");
    lines.push(`${name} ansible_host=${t.host} ansible_port=${t.port} ansible_ssh_common_args='${args}'`);
  }
  lines.push(
    "",
    "[all:vars]",
    `ansible_user=${t.user}`,
    `ansible_ssh_private_key_file=${t.identityFile}`,
    `ansible_python_interpreter=${t.python}`,
    "",
  );
  return lines.join("\n");
}

export type RunnerFlavour = "ansible" | "mitogen" | "mito";

/**
 * One ansible.cfg for every runner, so they read the same settings: pipelining, ControlPersist (what
 * Ansible's defaults and its users use), forks 50; Mitogen adds its strategy and nothing else. ssh
 * compression (-C, in Ansible's default ssh_args) is on except for file-transfer: zlib over a random file
 * is pure cost, and the baseline it is measured against (cat | ssh) does not compress either.
 */
export function ansibleCfgText(
  flavour: RunnerFlavour,
  mitogenStrategyDir: string,
  opts: { compression?: boolean } = {},
): string {
  const lines = [
    "[defaults]",
    "forks = 50",
    "host_key_checking = True",
    "retry_files_enabled = False",
    "deprecation_warnings = False",
    "interpreter_python = /usr/bin/python3",
  ];
  if (flavour === "mitogen") {
    lines.push(`strategy_plugins = ${mitogenStrategyDir}`, "strategy = mitogen_linear");
  }
  lines.push(
    "",
    "[ssh_connection]",
    "pipelining = True",
    `ssh_args = ${opts.compression === false ? "" : "-C "}-o ControlMaster=auto -o ControlPersist=60s`,
    "",
  );
  return lines.join("\n");
}

/** Whether a scenario's runs use ssh compression (see ansibleCfgText). */
export function sshCompression(s: Scenario): boolean {
  return s.kind !== "file-transfer";
}

/** A 100-file tree: 10 directories of 10 files, each file a few hundred bytes of distinct text. */
export function treeFiles(): { path: string; content: string }[] {
  const files: { path: string; content: string }[] = [];
  for (let d = 0; d < 10; d++) {
    for (let f = 0; f < 10; f++) {
      const n = d * 10 + f;
      const line = `file ${n} of the loop-100-copies tree, directory ${d}\n`;
      files.push({ path: `dir${d}/file${f}.txt`, content: line.repeat(4 + (n % 7)) });
    }
  }
  return files;
}

function play(s: Scenario, tasks: string[], extra: string[] = []): string {
  return [
    "- hosts: all",
    `  gather_facts: ${s.gatherFacts ? "true" : "false"}`,
    ...(s.sudo ? ["  become: true"] : []),
    ...extra,
    "  tasks:",
    ...tasks,
    "",
  ].join("\n");
}

/** Tasks that fail the play unless `command` lists exactly `count` lines on the target. */
function expectLines(command: string, count: number, what: string): string[] {
  return [
    `    - name: check ${what}`,
    `      command: ${command}`,
    "      register: bench_found",
    "      changed_when: false",
    "    - assert:",
    "        that:",
    `          - bench_found.stdout_lines | length == ${count}`,
  ];
}

/** Groups of four role tasks (directory, template, lineinfile, command) after the two that reset the tree. */
const ROLE_GROUPS = 7;

/**
 * The role-30-tasks role: it resets its directory, then per group makes a directory, templates a
 * configuration into it, edits one line of it and reads it back (registered, for the play's checks).
 */
function roleTasks(dir: string): string {
  const tasks = [
    "- file:",
    `    path: ${dir}`,
    "    state: absent",
    "- file:",
    `    path: ${dir}`,
    "    state: directory",
  ];
  for (let i = 1; i <= ROLE_GROUPS; i++) {
    tasks.push(
      "- file:",
      `    path: ${dir}/site${i}`,
      "    state: directory",
      `    mode: "0755"`,
      "- template:",
      "    src: app.conf.j2",
      `    dest: ${dir}/site${i}/app.conf`,
      `    mode: "0644"`,
      "- lineinfile:",
      `    path: ${dir}/site${i}/app.conf`,
      "    regexp: '^port='",
      `    line: "port={{ bench_port + ${i} }}"`,
      `- command: cat ${dir}/site${i}/app.conf`,
      `  register: bench_site${i}`,
      "  changed_when: false",
    );
  }
  return tasks.join("\n") + "\n";
}

/** The files of one scenario's run (playbook.yml plus whatever it includes), by relative path. */
export function scenarioFiles(s: Scenario, t: Target, assets: Assets): Record<string, string> {
  const dir = `${t.remoteDir}/${s.name}`;
  switch (s.kind) {
    case "loop-items":
      return {
        "playbook.yml": play(s, [
          "    - command: hostname",
          `      with_sequence: start=1 end=${s.items}`,
          "      register: bench_loop",
          "    - assert:",
          "        that:",
          `          - bench_loop.results | length == ${s.items}`,
          `          - bench_loop.results | selectattr('rc', 'equalto', 0) | list | length == ${s.items}`,
          `          - bench_loop.results | map(attribute='stdout') | select | list | length == ${s.items}`,
        ]),
      };
    case "loop-collection":
      // one option set again and again: the file is written by the first item of the first run only
      return {
        "playbook.yml": play(s, [
          "    - community.general.ini_file:",
          `        path: ${dir}/bench.ini`,
          "        section: bench",
          "        option: item",
          '        value: "1"',
          `      with_sequence: start=1 end=${s.items}`,
          "      register: bench_loop",
          "    - assert:",
          "        that:",
          `          - bench_loop.results | length == ${s.items}`,
          `          - bench_loop.results | map(attribute='path') | select('equalto', '${dir}/bench.ini') | list | length == ${s.items}`,
          "          - bench_loop.results | selectattr('changed') | list | length <= 1",
        ]),
      };
    case "loop-tasks": {
      const tasks: string[] = [];
      for (let i = 1; i <= s.items; i++) tasks.push("    - command: hostname", `      register: bench_t${i}`);
      tasks.push("    - assert:", "        that:");
      for (let i = 1; i <= s.items; i++) {
        tasks.push(`          - bench_t${i}.rc == 0 and bench_t${i}.stdout != ''`);
      }
      return { "playbook.yml": play(s, tasks) };
    }
    case "loop-copies":
      return {
        "playbook.yml": play(s, [
          `    - file: path=${dir} state=absent`,
          "    - file:",
          `        path: "{{ bench_dest }}/{{ item.path }}"`,
          "        state: directory",
          `      with_filetree: ${assets.treeDir}`,
          "      when: item.state == 'directory'",
          "    - copy:",
          `        src: "{{ item.src }}"`,
          `        dest: "{{ bench_dest }}/{{ item.path }}"`,
          `        mode: "0644"`,
          `      with_filetree: ${assets.treeDir}`,
          "      when: item.state == 'file'",
          ...expectLines(`find ${dir} -type f`, s.items, "the copied files"),
        ], ["  vars:", `    bench_dest: ${dir}`]),
      };
    case "loop-templates":
      return {
        "hello.j2": "Hello from {{ item }} on {{ inventory_hostname }}\n",
        "playbook.yml": play(s, [
          `    - file: path=${dir} state=absent`,
          `    - file: path=${dir} state=directory`,
          "    - copy:",
          `        content: "Hello from {{ item }}"`,
          `        dest: "${dir}/copy-{{ item }}"`,
          `      loop: "{{ range(1, ${s.items + 1}) | list }}"`,
          "    - template:",
          "        src: hello.j2",
          `        dest: "${dir}/template-{{ item }}"`,
          `      loop: "{{ range(1, ${s.items + 1}) | list }}"`,
          ...expectLines(`find ${dir} -type f`, 2 * s.items, "the written files"),
        ]),
      };
    case "file-transfer": {
      const src = assets.bigFiles[s.transferBytes!];
      const dest = `${dir}.bin`;
      return {
        "playbook.yml": play(s, [
          `    - file: path=${dest} state=absent`,
          `    - file: path=${t.remoteDir} state=directory`,
          `    - copy: src=${src} dest=${dest} mode=0600`,
          `    - stat: path=${dest} get_checksum=false`,
          "      register: bench_stat",
          "    - assert:",
          "        that:",
          `          - bench_stat.stat.size == ${s.transferBytes}`,
          `    - file: path=${dest} state=absent`,
        ]),
      };
    }
    case "includes":
      return {
        "included.yml": ["- set_fact:", `    bench_count: "{{ bench_count | int + 1 }}"`, ""].join("\n"),
        "playbook.yml": play(s, [
          "    - set_fact:",
          "        bench_count: 0",
          "    - include_tasks: included.yml",
          `      loop: "{{ range(${s.items}) | list }}"`,
          "    - assert:",
          "        that:",
          `          - bench_count | int == ${s.items}`,
        ]),
      };
    case "big-values": {
      // The controller holds a registered output and a looked-up file of valueBytes each, sends the first
      // back to the target as content, and checks both. Peak controller RSS / valueBytes is the figure.
      const n = s.valueBytes!;
      const lookupFile = assets.textFiles?.[n];
      if (!lookupFile) throw new Error(`big-values: no text file of ${n} bytes among the assets`);
      const lines = textFileLines(n);
      return {
        "playbook.yml": play(s, [
          `    - file: path=${dir} state=absent`,
          `    - file: path=${dir} state=directory`,
          `    - shell: "head -c ${n} /dev/zero | tr '\\\\0' a"`,
          "      register: bench_big",
          "    - assert:",
          "        that:",
          `          - bench_big.stdout | length == ${n}`,
          "    - copy:",
          `        content: "{{ bench_big.stdout }}"`,
          `        dest: ${dir}/out.txt`,
          `    - stat: path=${dir}/out.txt get_checksum=false`,
          "      register: bench_stat",
          "    - set_fact:",
          `        bench_file: "{{ lookup('file', '${lookupFile}') }}"`,
          "    - assert:",
          "        that:",
          `          - bench_stat.stat.size == ${n}`,
          // lookup('file') strips the last newline.
          `          - bench_file | length == ${lines * TEXT_LINE.length - 1}`,
          `          - bench_file.count('\\n') == ${lines - 1}`,
          `    - file: path=${dir} state=absent`,
        ]),
      };
    }
    case "role": {
      const checks: string[] = [];
      for (let i = 1; i <= ROLE_GROUPS; i++) {
        checks.push(
          `          - bench_site${i}.stdout_lines == ['name=site', 'port=${8000 + i}', 'workers=4']`,
        );
      }
      return {
        "roles/bench/defaults/main.yml": ["bench_port: 8000", "bench_workers: 4", ""].join("\n"),
        "roles/bench/templates/app.conf.j2":
          "name=site\nport={{ bench_port }}\nworkers={{ bench_workers }}\n",
        "roles/bench/tasks/main.yml": roleTasks(dir),
        "playbook.yml": [
          "- hosts: all",
          "  gather_facts: false",
          "  roles: [bench]",
          "  post_tasks:",
          "    - assert:",
          "        that:",
          ...checks,
          "",
        ].join("\n"),
      };
    }
    case "fanout": {
      // The first task records each host's ssh connection (client address and port): the final check
      // fails unless every host came over a connection of its own.
      const tasks = ["    - shell: echo $SSH_CONNECTION", "      register: bench_conn"];
      for (let i = 2; i <= s.items; i++) tasks.push("    - command: hostname");
      tasks.push(
        "    - assert:",
        "        that:",
        "          - ansible_play_hosts | length == " + s.hosts,
        "          - ansible_play_hosts | map('extract', hostvars, ['bench_conn', 'stdout']) | unique | list" +
          ` | length == ${s.hosts}`,
        ...(s.gatherFacts ? [`          - ansible_facts.hostname is defined`] : []),
        "      run_once: true",
      );
      return { "playbook.yml": play(s, tasks) };
    }
  }
}

/** Quotes one word for a POSIX shell. */
export function shq(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : "'" + word.replaceAll("'", `'"'"'`) + "'";
}

/** The shell command of the file-transfer baseline: plain ssh piping the file into `cat` (or sudo). */
export function catSshCommand(s: Scenario, t: Target, src: string): string {
  const dest = `${t.remoteDir}/${s.name}.bin`;
  const write = s.sudo ? `sudo sh -c ${shq(`cat > ${dest}`)}` : `cat > ${dest}`;
  // Like the playbooks: make the directory, write, check the size, remove.
  const remote =
    `mkdir -p ${t.remoteDir} && ${write} && test "$(stat -c %s ${dest})" = ${s.transferBytes} && ` +
    `rm -f ${dest}`;
  const ssh = [
    "ssh",
    "-o BatchMode=yes",
    `-o UserKnownHostsFile=${t.knownHostsFile}`,
    "-o StrictHostKeyChecking=yes",
    `-i ${t.identityFile}`,
    `-p ${t.port}`,
    `-l ${t.user}`,
    t.host,
  ].join(" ");
  return `cat ${src} | ${ssh} ${shq(remote)}`;
}

/** known_hosts lines for the sshd's key at each port it is reached on (directly and through the proxy). */
export function knownHostsText(hostKeyLine: string, host: string, ports: number[]): string {
  const key = hostKeyLine.trim().split(/\s+/).slice(1).join(" ");
  return ports.map((p) => `[${host}]:${p} ${key}\n`).join("");
}
