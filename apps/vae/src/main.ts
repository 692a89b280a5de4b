// Entry point of the `vae` bin (bin/vae.mjs imports this through tsx).
import { runCli } from "./cli.ts";

const code = await runCli(process.argv);
// Let stdout drain, then exit: tfjs and the wasm runtime may keep handles open.
process.stdout.write("", () => process.exit(code));
