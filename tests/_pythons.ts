// Other Pythons for tests that check the runtime keeps to what every supported version offers: the
// pyenv builds on the test machines (~/.pyenv/versions, 2.7 and 3.6 … 3.13). A missing build is a
// missing test environment: the test that needs it fails naming it, it is never skipped.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { TestEnvMissingError } from "./_testenv.ts";

const VERSIONS = `${process.env.HOME ?? "/root"}/.pyenv/versions`;

/** The pyenv build of Python `version` ("3.6", "2.7"), or undefined when it is not installed. */
export function findPyenvPython(version: string): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(VERSIONS).sort();
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.startsWith(`${version}.`));
  const file = name && `${VERSIONS}/${name}/bin/python${version}`;
  return file && fs.existsSync(file) ? file : undefined;
}

/** The pyenv build of Python `version`; throws TestEnvMissingError naming it when it is absent. */
export function pyenvPython(version: string): string {
  const file = findPyenvPython(version);
  if (file === undefined) {
    throw new TestEnvMissingError(
      `this test needs Python ${version} built by pyenv under ${VERSIONS} (pyenv install ${version})`,
    );
  }
  return file;
}

/** A controller Python that cannot import ansible-core (nor anything from its site directories). */
export function pythonWithoutAnsible(): { python: string; remove: () => void } {
  const dir = fs.mkdtempSync(join(os.tmpdir(), "mito-noansible-"));
  const python = join(dir, "python3");
  fs.writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
  return { python, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
