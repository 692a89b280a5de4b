// The worker's side of star mode over its control connection: a HubLink per
// step whose contribution goes up as `reduce {g, step, data}` and whose sum
// comes back as `reduced {g, step, data}`. The coordinator's side is a StarHub
// (@vae/allreduce) per step, answering every rank with
// `reduced {g, step, data: hub.result()}` once all have contributed.
import { HUB_PEER, PeerLostError, type HubLink, type WireArray } from "@vae/allreduce";
import { message, type Message, type Reduced } from "./messages.ts";

interface Round {
  g: number;
  step: number;
  result: WireArray | null;
  error: Error | null;
  waiter: { resolve: (d: WireArray) => void; reject: (e: Error) => void } | null;
}

export class StarChannel {
  private round: Round | null = null;
  /** `reduced` messages that matched no open round (another generation or step). */
  staleDropped = 0;

  constructor(private readonly conn: { send(msg: Message): Promise<void> }) {}

  /** The hub link for the all-reduce of step `step` of generation `g`; opening it ends any earlier round. */
  link(g: number, step: number, rank: number, worldSize: number): HubLink<WireArray> {
    this.abort(new Error(`superseded by step ${step} of generation ${g}`));
    const round: Round = { g, step, result: null, error: null, waiter: null };
    this.round = round;
    return {
      rank,
      worldSize,
      send: async (data) => {
        if (round.error) throw round.error;
        await this.conn.send(message("reduce", { g, step, data }));
      },
      recv: () => {
        if (round.error) return Promise.reject(round.error);
        if (round.result) return Promise.resolve(round.result);
        return new Promise((resolve, reject) => (round.waiter = { resolve, reject }));
      },
      abort: (reason) => this.abort(reason),
    };
  }

  /** Hand every incoming `reduced` message here. */
  deliver(msg: Reduced): void {
    const round = this.round;
    if (!round || round.g !== msg.g || round.step !== msg.step || round.result || round.error) {
      this.staleDropped++;
      return;
    }
    round.result = msg.data;
    const w = round.waiter;
    round.waiter = null;
    w?.resolve(msg.data);
  }

  /** Fails the open round, if any (the control connection closed, or a new generation began). */
  abort(reason: Error): void {
    const round = this.round;
    if (!round || round.error || round.result) return;
    round.error = reason instanceof PeerLostError ? reason : new PeerLostError(HUB_PEER, reason.message);
    const w = round.waiter;
    round.waiter = null;
    w?.reject(round.error);
  }
}
