// Membership and generations (DESIGN §4). Pure bookkeeping, no sockets: the
// coordinator feeds it joins and losses and asks it for the next generation.
//
// Invariant: ranks of a generation are 0..W-1 in join order of the members that
// survive, so a member keeps its relative place in the ring across generations
// and newcomers take the highest ranks.

export type LossReason = "leave" | "closed" | "heartbeat" | "deadline" | "rejected" | "unreachable";
export type MembershipReason = "join" | LossReason;

export interface MemberInfo {
  workerId: string;
  host: string;
  pid: number;
  backend: string;
  peerHost: string;
  peerPort: number;
  metricsPort: number | null;
}

export interface Member extends MemberInfo {
  /** Rank in the current generation, or null while waiting to be admitted. */
  rank: number | null;
  joinedAt: number;
  /** Last global step this member reported done. */
  lastStep: number | null;
  computeMs: number | null;
  allreduceMs: number | null;
}

export interface MembershipEvent {
  time: string;
  generation: number;
  reason: MembershipReason;
  workerId: string;
  rank: number | null;
  host: string;
  detail: string;
}

/** Membership events kept for /api/status and the dashboard; older ones are dropped. */
const EVENT_HISTORY = 200;

export class Membership {
  private readonly members = new Map<string, Member>();
  private order = 0;
  private readonly joinOrder = new Map<string, number>();
  generation = 0;
  readonly events: MembershipEvent[] = [];
  /** Called with each event as it is recorded (the dashboard pushes them to its pages). */
  onEvent: ((e: MembershipEvent) => void) | null = null;

  get size(): number {
    return this.members.size;
  }

  has(workerId: string): boolean {
    return this.members.has(workerId);
  }

  get(workerId: string): Member | undefined {
    return this.members.get(workerId);
  }

  /** All members, ranked ones first in rank order, then those waiting to be admitted in join order. */
  list(): Member[] {
    return [...this.members.values()].sort((a, b) => this.joinOrder.get(a.workerId)! - this.joinOrder.get(b.workerId)!);
  }

  /** The members of the current generation, by rank. */
  ranked(): Member[] {
    return this.list()
      .filter((m) => m.rank !== null)
      .sort((a, b) => a.rank! - b.rank!);
  }

  add(info: MemberInfo): Member {
    if (this.members.has(info.workerId)) throw new Error(`worker id ${info.workerId} is already a member`);
    const member: Member = { ...info, rank: null, joinedAt: Date.now(), lastStep: null, computeMs: null, allreduceMs: null };
    this.members.set(info.workerId, member);
    this.joinOrder.set(info.workerId, this.order++);
    this.record("join", member, `backend ${info.backend}, peer ${info.peerHost}:${info.peerPort}`);
    return member;
  }

  /** Removes a member; returns it (with the rank it had) or undefined if it was not a member. */
  remove(workerId: string, reason: LossReason, detail: string): Member | undefined {
    const member = this.members.get(workerId);
    if (!member) return undefined;
    this.members.delete(workerId);
    this.joinOrder.delete(workerId);
    this.record(reason, member, detail);
    return member;
  }

  /** Starts generation g+1 over every current member; returns them by their new rank. */
  nextGeneration(): Member[] {
    this.generation += 1;
    const members = this.list();
    members.forEach((m, rank) => (m.rank = rank));
    return members;
  }

  private record(reason: MembershipReason, m: Member, detail: string): void {
    const event = { time: new Date().toISOString(), generation: this.generation, reason, workerId: m.workerId, rank: m.rank, host: m.host, detail };
    this.events.push(event);
    if (this.events.length > EVENT_HISTORY) this.events.splice(0, this.events.length - EVENT_HISTORY);
    this.onEvent?.(event);
  }
}
