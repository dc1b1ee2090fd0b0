// node (V8) peer for the compute kernels: `node kernel_node.mjs FILE`.
// Prints one JSON line: result of `run`, and the time from bytes to result
// (compile + instantiate + run) measured inside the process, so node's
// start-up is not counted. V8 compiles with Liftoff first and tiers hot
// functions up to TurboFan in the background, as in a browser.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const bytes = readFileSync(process.argv[2]);
const t0 = performance.now();
const module = await WebAssembly.compile(bytes);
const instance = await WebAssembly.instantiate(module, {});
const t1 = performance.now();
const result = instance.exports.run();
const t2 = performance.now();
console.log(JSON.stringify({ result, total_s: (t2 - t0) / 1e3, load_s: (t1 - t0) / 1e3, run_s: (t2 - t1) / 1e3 }));
