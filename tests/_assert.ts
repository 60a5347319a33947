// Assertions for the test suite, on node:assert (JSR's @std/assert cannot be installed here).
import assert from "node:assert/strict";

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

export function assert_(cond: unknown, msg?: string): asserts cond {
  assert.ok(cond, msg);
}
export { assert_ as assert };

export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  assert.match(actual, re, msg);
}

export function assertStringIncludes(actual: string, part: string, msg?: string): void {
  if (!actual.includes(part)) {
    throw new assert.AssertionError({
      message: msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(part)}`,
    });
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => unknown;

function checkError(err: unknown, cls?: ErrorClass, includes?: string): Error {
  if (!(err instanceof Error)) {
    throw new assert.AssertionError({ message: `expected an Error, got ${String(err)}` });
  }
  if (cls && !(err instanceof cls)) {
    throw new assert.AssertionError({
      message: `expected ${cls.name}, got ${err.constructor.name}: ${err.message}`,
    });
  }
  if (includes !== undefined && !err.message.includes(includes)) {
    throw new assert.AssertionError({
      message: `expected error message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(err.message)
      }`,
    });
  }
  return err;
}

export function assertThrows(fn: () => unknown, cls?: ErrorClass, includes?: string): Error {
  try {
    fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new assert.AssertionError({ message: "expected the function to throw" });
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  cls?: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new assert.AssertionError({ message: "expected the promise to reject" });
}
