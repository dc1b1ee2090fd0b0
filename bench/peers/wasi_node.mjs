// node peer for the WASI workloads (node:wasi, preview1):
// `node --no-warnings wasi_node.mjs HOSTDIR GUESTDIR FILE [ARGS...]`.
// stdio is the process's own; the exit code is the program's.
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [hostDir, guestDir, file, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: "preview1",
  args: [file, ...args],
  env: {},
  preopens: { [guestDir]: hostDir },
  returnOnExit: true,
});
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
