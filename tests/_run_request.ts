// The RunRequest of a plain `mito run PLAYBOOK` against `localhost,`, for tests that run playbooks in-process.
import type { RunRequest } from "../playbook/run.ts";

export function runRequest(playbook: string, extra: Partial<RunRequest> = {}): RunRequest {
  return {
    playbooks: [playbook],
    inventory: ["localhost,"],
    limit: [],
    extraVars: [],
    tags: [],
    skipTags: [],
    verbosity: 0,
    become: false,
    check: false,
    diff: false,
    vaultPasswordFiles: [],
    vaultIds: [],
    askVaultPass: false,
    syntaxCheck: false,
    listHosts: false,
    listTasks: false,
    listTags: false,
    forceHandlers: false,
    ...extra,
  };
}
