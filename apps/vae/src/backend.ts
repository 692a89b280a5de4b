import { selectBackend, type BackendChoice, type SelectedBackend } from "@vae/model";
import { CliError } from "@vae/cli";

const SKIP_LINE = /^backend: skipping ([\w-]+): (.*)$/;

/**
 * Activates the tfjs backend before any tensor exists and logs ONE line saying
 * which, on stderr so that stdout carries only results. Backends that `auto`
 * skipped are named in that line; why each was skipped (with the command that
 * installs it) is printed too when VAE_DEBUG=1.
 */
export async function initBackend(
  choice: BackendChoice,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  debug = process.env.VAE_DEBUG === "1",
): Promise<SelectedBackend> {
  const skipped: string[] = [];
  let chosen = "";
  try {
    const selected = await selectBackend(choice, (line) => {
      const skip = SKIP_LINE.exec(line);
      if (skip) {
        skipped.push(skip[1]!);
        if (debug) log(line);
      } else {
        chosen = line;
      }
    });
    const note = skipped.length > 0 ? `; skipped ${skipped.join(", ")}${debug ? "" : " (VAE_DEBUG=1 says why)"}` : "";
    log(`${chosen || `backend: using ${selected.name} (${selected.detail})`}${note}`);
    return selected;
  } catch (e) {
    throw new CliError(`--backend ${choice}: ${(e as Error).message}`);
  }
}
