// The one place the version lives; the build scripts and `mito --version` read it.
export const VERSION = "0.1.0";
