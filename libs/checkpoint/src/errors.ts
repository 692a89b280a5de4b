/** A checkpoint that cannot be used; `file` names the file at fault (relative to the checkpoint directory). */
export class CheckpointError extends Error {
  constructor(
    readonly dir: string,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason} (in ${dir})`);
    this.name = "CheckpointError";
  }
}
