// Turning raw flag strings into checked values. Commander hands every value
// over as the string the user typed (no commander defaults), so "not given"
// stays distinguishable from "given the default" and each value is checked
// exactly once, here. Every error names the flag, the value and what it expects.
import { BACKEND_CHOICES, type BackendChoice } from "@vae/model";
/** --backend default of every process: the fastest backend that loads. */
const DEFAULT_BACKEND: BackendChoice = "auto";
import { UsageError } from "./errors.ts";

export type RawFlags = Record<string, unknown>;

function bad(flag: string, value: unknown, expected: string): never {
  throw new UsageError(`--${flag}: expected ${expected}, got ${JSON.stringify(value)}`);
}

function text(flag: string, value: unknown): string {
  if (typeof value !== "string") bad(flag, value, "a value");
  return value.trim();
}

/** An integer >= min written in decimal digits (no "1e3", "0x10" or "12abc"). */
export function intFlag(flag: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const s = text(flag, value);
  const expected = min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer >= ${min}`;
  if (!/^[+]?\d+$/.test(s)) bad(flag, value, expected);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min) bad(flag, value, expected);
  return n;
}

/** A finite decimal number (1e-3 is fine) that is > 0, or >= 0 when `allowZero`. */
export function numberFlag(flag: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const s = text(flag, value);
  const n = s === "" ? NaN : Number(s);
  const ok = Number.isFinite(n) && (allowZero ? n >= 0 : n > 0);
  if (!ok) bad(flag, value, allowZero ? "a finite number >= 0" : "a finite number > 0");
  return n;
}

export function choiceFlag<T extends string>(flag: string, value: unknown, fallback: T, choices: readonly T[]): T {
  if (value === undefined) return fallback;
  const s = text(flag, value);
  if (!(choices as readonly string[]).includes(s)) bad(flag, value, `one of ${choices.join(", ")}`);
  return s as T;
}

/** Comma-separated positive integers, e.g. "512,256"; "" or "none" is the empty list. */
export function intListFlag(flag: string, value: unknown, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  const s = text(flag, value);
  if (s === "" || s === "none") return [];
  const parts = s.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) bad(flag, value, "comma-separated positive integers, e.g. 400 or 512,256");
  return parts.map(Number);
}

export function stringFlag(flag: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  const s = text(flag, value);
  if (s === "") bad(flag, value, "a non-empty value");
  return s;
}

export function requiredString(flag: string, value: unknown): string {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return stringFlag(flag, value, "");
}

/** A boolean switch: commander gives true when present. */
export function switchFlag(value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : value === true;
}

export function backendFlag(raw: RawFlags): BackendChoice {
  return choiceFlag("backend", raw.backend, DEFAULT_BACKEND, BACKEND_CHOICES);
}

/** Flags that only make sense together, e.g. --from and --to; `a`/`b` are the flag names, looked up under commander's camelCase keys. */
export function requireTogether(raw: RawFlags, a: string, b: string): void {
  const key = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  if ((raw[key(a)] === undefined) !== (raw[key(b)] === undefined)) {
    throw new UsageError(`--${a} and --${b} go together: give both or neither`);
  }
}
