// Waiting for one reply from each of a set of workers: the coordinator's only
// way of waiting on the cluster. It resolves when all have answered, and
// rejects when the generation breaks (a member is lost) or the deadline passes,
// naming the workers that did not answer (a stall report, as Horovod's).

export class DeadlineMissed extends Error {
  override readonly name = "DeadlineMissed";
  constructor(
    readonly what: string,
    readonly missing: string[],
    readonly afterMs: number,
  ) {
    super(`${what}: no answer within ${afterMs} ms from ${missing.join(", ")}`);
  }
}

export class GenerationBroken extends Error {
  override readonly name = "GenerationBroken";
}

export class ReplyCollector<T> {
  private readonly replies = new Map<string, T>();
  private readonly timer: NodeJS.Timeout | null;
  private settle!: { resolve: (r: Map<string, T>) => void; reject: (e: Error) => void };
  private done = false;
  readonly promise: Promise<Map<string, T>>;

  constructor(
    /** The message type awaited, e.g. "stepDone". */
    readonly type: string,
    readonly generation: number,
    readonly expected: ReadonlySet<string>,
    deadlineMs: number,
    /** For messages tied to a step: replies for other steps are ignored. */
    readonly step: number | null = null,
  ) {
    this.promise = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.promise.catch(() => {}); // a rejection nobody awaits (after a stop) is not an error
    this.timer = deadlineMs > 0 ? setTimeout(() => this.fail(new DeadlineMissed(`${type} of generation ${generation}`, this.missing(), deadlineMs)), deadlineMs) : null;
    if (expected.size === 0) this.finish();
  }

  /** Offers a reply; returns false if it is not one this collector waits for. */
  offer(workerId: string, type: string, generation: number, step: number | null, reply: T): boolean {
    if (this.done || type !== this.type || generation !== this.generation) return false;
    if (this.step !== null && step !== this.step) return false;
    if (!this.expected.has(workerId) || this.replies.has(workerId)) return false;
    this.replies.set(workerId, reply);
    if (this.replies.size === this.expected.size) this.finish();
    return true;
  }

  missing(): string[] {
    return [...this.expected].filter((id) => !this.replies.has(id));
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.settle.reject(error);
  }

  private finish(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.settle.resolve(this.replies);
  }
}
