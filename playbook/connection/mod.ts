export * from "./spec.ts";
export { BecomeFlagError, parseBecomeFlags, type ParsedBecomeFlags, shellSplit } from "./flags.ts";
