// `mito run`: parse ansible-playbook's flags, then hand over to the playbook layer with the protocol's
// connection layer as the runner of remote modules.
import { runOptions, runSpec } from "./run_args.ts";
import { defaultEnvironment, runPlaybooks, type RunRequest } from "../playbook/run.ts";
import { protocolRunnerFactory } from "../playbook/remote/mod.ts";
import process from "node:process";
import { PROGRESS_INTERVAL_MS, stderrProgress } from "./_progress.ts";
import { ProgressCallback, taskProgressLine } from "../playbook/callbacks/progress.ts";
import { VERSION } from "./version.ts";
import { helpOrVersion, parseCommand } from "./_options.ts";
import { versionText } from "./_version_text.ts";

export function run(argv: string[], prog = "mito run"): Promise<number> {
  const spec = runSpec(prog);
  const parsed = parseCommand(spec, argv);
  const answered = helpOrVersion(spec, parsed, versionText, (t) => process.stdout.write(t));
  if (answered !== undefined) return Promise.resolve(answered);
  return runRequest(runOptions(parsed), prog);
}

/**
 * Runs a request (a playbook run, or an ad-hoc run's play) with the protocol's runner. On a terminal
 * (unless progress is off) stderr carries one status line, the running task's progress and transfers'
 * bars, erased around every line printed; a playbook run shown on a terminal ends with its ten slowest
 * tasks.
 */
export async function runRequest(request: RunRequest, prog: string): Promise<number> {
  const environment = { ...defaultEnvironment(), program: `${prog} [mito ${VERSION}]` };
  const progress = stderrProgress(process.stderr, { env: environment.env, noProgress: request.noProgress });
  if (!progress) return runPlaybooks(request, { ...environment, runner: protocolRunnerFactory({}) });
  const err = progress.around((t) => process.stderr.write(t));
  const status = new ProgressCallback((p) =>
    progress.setStatus(p && ((columns) => taskProgressLine(p, performance.now(), columns)))
  );
  // The elapsed times move on while nothing happens; the timer must not keep the process alive.
  const clock = setInterval(() => progress.tick(), PROGRESS_INTERVAL_MS * 5);
  (clock as { unref?: () => void }).unref?.();
  try {
    return await runPlaybooks(request, {
      ...environment,
      runner: protocolRunnerFactory({ transfers: (label, total) => progress.start(label, total), log: err }),
      out: progress.around((t) => process.stdout.write(t)),
      err,
      progress: {
        callback: status,
        summary: environment.stdoutIsTTY && !request.adhoc,
        hold: (ask) => progress.hold(ask),
      },
    });
  } finally {
    clearInterval(clock);
    progress.setStatus(undefined);
  }
}
