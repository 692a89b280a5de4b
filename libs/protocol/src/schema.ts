// Small schema helpers for validating decoded messages: each check returns its
// input, now typed, or throws a ProtocolError whose message names the field (as a
// path like `hello.peer.port`), what was expected and what was found. Shapes
// and lengths are checked before any array is used; float arrays are checked
// for NaN/Infinity.
import { firstNonFiniteF16, type Compression } from "@vae/allreduce";
import { protocolError, type ProtocolError } from "./errors.ts";

/** What the receiver knows, against which sizes are checked. */
export interface ValidationContext {
  /** Elements of `params`, `adamM` and `adamV` in `state` (the model's parameter count), when known. */
  paramCount?: number;
  /** Elements of `data` in `reduce`/`reduced` (the flat gradient length), when known. */
  gradientLength?: number;
  /** Wire form of gradient data: Float32Array for "none", Uint16Array (fp16 bits) for "fp16". Either when unknown. */
  compress?: Compression;
}

export interface Check<T> {
  (value: unknown, path: string, ctx: ValidationContext): T;
  readonly optional?: boolean;
}
type Optional<T> = Check<T | undefined> & { readonly optional: true };
type Shape = Record<string, Check<unknown>>;
type Result<C> = C extends Check<infer T> ? T : never;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type Infer<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Result<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Result<S[K]>, undefined> }
>;

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return `${value.constructor?.name === "Object" ? "an object" : (value.constructor?.name ?? "an object")}`;
  return typeof value;
}

export function invalid(path: string, expected: string, value: unknown): ProtocolError {
  return protocolError("VAE_ERR_INVALID_FIELD", `${path}: expected ${expected}, found ${describe(value)}`);
}

function tooBig(path: string, what: string, limit: number): ProtocolError {
  return protocolError("VAE_ERR_TOO_BIG", `${path}: ${what} exceeds the limit of ${limit}`);
}

export function string(max: number, min = 0): Check<string> {
  return (v, path) => {
    if (typeof v !== "string") throw invalid(path, "a string", v);
    if (v.length > max) throw tooBig(path, `a string of ${v.length} characters`, max);
    if (v.length < min) throw invalid(path, `at least ${min} characters`, v);
    return v;
  };
}

export function integer(min: number, max: number): Check<number> {
  return (v, path) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw invalid(path, `an integer in [${min}, ${max}]`, v);
    return v;
  };
}

/** A non-negative safe integer (counts, steps, generations). */
export const uint: Check<number> = integer(0, Number.MAX_SAFE_INTEGER);

export function finite(min = -Infinity): Check<number> {
  return (v, path) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
      throw invalid(path, min === -Infinity ? "a finite number" : `a finite number >= ${min}`, v);
    }
    return v;
  };
}

export function oneOf<const T extends readonly (string | number)[]>(values: T): Check<T[number]> {
  return (v, path) => {
    if (!values.includes(v as T[number])) throw invalid(path, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v);
    return v as T[number];
  };
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, path, ctx) => (v === null ? null : check(v, path, ctx));
}

export function optional<T>(check: Check<T>): Optional<T> {
  const c = (v: unknown, path: string, ctx: ValidationContext) => (v === undefined ? undefined : check(v, path, ctx));
  return Object.assign(c, { optional: true as const });
}

export const boolean: Check<boolean> = (v, path) => {
  if (typeof v !== "boolean") throw invalid(path, "true or false", v);
  return v;
};

/** A byte string of at most `max` bytes (e.g. a PNG). */
export function blob(max: number): Check<Uint8Array> {
  return (v, path) => {
    if (!(v instanceof Uint8Array) || v.length > max) throw invalid(path, `a Uint8Array of at most ${max} bytes`, v);
    return v;
  };
}

/** A byte array of exactly `length` bytes (a Buffer qualifies). */
export function bytes(length: number): Check<Uint8Array> {
  return (v, path) => {
    if (!(v instanceof Uint8Array) || v.length !== length) throw invalid(path, `a Uint8Array of ${length} bytes`, v);
    return v;
  };
}

function checkLength(path: string, v: { length: number; constructor: { name: string } }, expected: number | undefined, max: number): void {
  if (v.length > max) throw tooBig(path, `${v.constructor.name} of ${v.length} elements`, max);
  if (expected !== undefined && v.length !== expected) throw invalid(path, `a ${v.constructor.name} of ${expected} elements`, v);
}

/**
 * Index of the first NaN or ±Infinity, or -1. This pass runs over every
 * received gradient byte, so it is branch-free over the bit patterns: a value
 * is non-finite exactly when its exponent bits are all ones, and then
 * (bits & 0x7f800000) + 0x00800000 carries into bit 31.
 */
export function firstNonFinite(a: Float32Array): number {
  const v = new Int32Array(a.buffer, a.byteOffset, a.length);
  const n = v.length;
  const E = 0x7f800000;
  const ONE = 0x00800000;
  let acc = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    acc |= ((v[i] & E) + ONE) | ((v[i + 1] & E) + ONE) | ((v[i + 2] & E) + ONE) | ((v[i + 3] & E) + ONE);
  }
  for (; i < n; i++) acc |= (v[i] & E) + ONE;
  if ((acc & 0x80000000) === 0) return -1;
  for (let j = 0; j < n; j++) if ((v[j] & E) === E) return j; // rare: find which
  return -1;
}

function checkFinite(path: string, a: Float32Array | Uint16Array): void {
  const bad = a instanceof Float32Array ? firstNonFinite(a) : firstNonFiniteF16(a);
  if (bad >= 0) {
    const what = a instanceof Float32Array ? String(a[bad]) : "a non-finite fp16 value";
    throw protocolError("VAE_ERR_NOT_FINITE", `${path}[${bad}] is ${what}: float arrays must be finite`);
  }
}

/** A finite Float32Array of `expected(ctx)` elements (any length up to `max` when that is undefined). */
export function float32Array(expected: (ctx: ValidationContext) => number | undefined, max: number): Check<Float32Array> {
  return (v, path, ctx) => {
    if (!(v instanceof Float32Array)) throw invalid(path, "a Float32Array", v);
    checkLength(path, v, expected(ctx), max);
    checkFinite(path, v);
    return v;
  };
}

/** Gradient data in wire form: Float32Array ("none") or Uint16Array of fp16 bits ("fp16"), as `ctx.compress` says. */
export function wireArray(expected: (ctx: ValidationContext) => number | undefined, max: number): Check<Float32Array | Uint16Array> {
  return (v, path, ctx) => {
    const ok =
      ctx.compress === "fp16" ? v instanceof Uint16Array : ctx.compress === "none" ? v instanceof Float32Array : v instanceof Float32Array || v instanceof Uint16Array;
    if (!ok) {
      const want = ctx.compress === "fp16" ? "a Uint16Array (fp16)" : ctx.compress === "none" ? "a Float32Array" : "a Float32Array or Uint16Array";
      throw invalid(path, want, v);
    }
    const a = v as Float32Array | Uint16Array;
    checkLength(path, a, expected(ctx), max);
    checkFinite(path, a);
    return a;
  };
}

export function array<T>(item: Check<T>, max: number): Check<T[]> {
  return (v, path, ctx) => {
    if (!Array.isArray(v)) throw invalid(path, "an array", v);
    if (v.length > max) throw tooBig(path, `an array of ${v.length} items`, max);
    v.forEach((x, i) => item(x, `${path}[${i}]`, ctx));
    return v as T[];
  };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A map with exactly the fields of `shape` (optional ones may be absent); unknown fields are rejected. */
export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  const keys = Object.keys(shape);
  return (v, path, ctx) => {
    if (!isPlainObject(v)) throw invalid(path, "a map", v);
    for (const key of Object.keys(v)) {
      if (!Object.hasOwn(shape, key)) throw invalid(`${path}.${key}`, "no such field", v[key]);
    }
    // Checks return their input unchanged, so the validated map is the decoded one (no copy per message).
    for (const key of keys) shape[key](v[key], `${path}.${key}`, ctx);
    return v as Infer<S>;
  };
}

/** Adds a cross-field rule to a check; `rule` throws (use `invalid`) when the value breaks it. */
export function refine<T>(check: Check<T>, rule: (value: T, path: string, ctx: ValidationContext) => void): Check<T> {
  return (v, path, ctx) => {
    const value = check(v, path, ctx);
    rule(value, path, ctx);
    return value;
  };
}

/**
 * Free-form JSON-like data (run config, model description): maps, arrays,
 * strings, finite numbers, booleans and null, at most `maxEntries` keys and
 * items in all and `maxDepth` levels deep.
 */
export function plainData(maxEntries: number, maxDepth: number, maxString: number): Check<Record<string, unknown>> {
  return (v, path) => {
    let entries = 0;
    const walk = (x: unknown, p: string, depth: number): void => {
      if (x === null || typeof x === "boolean") return;
      if (typeof x === "number") {
        if (!Number.isFinite(x)) throw invalid(p, "a finite number", x);
        return;
      }
      if (typeof x === "string") {
        if (x.length > maxString) throw tooBig(p, `a string of ${x.length} characters`, maxString);
        return;
      }
      if (depth > maxDepth) throw tooBig(p, `nesting of ${depth} levels`, maxDepth);
      const items: [string, unknown][] = Array.isArray(x)
        ? x.map((y, i) => [`[${i}]`, y])
        : isPlainObject(x)
          ? Object.entries(x).map(([k, y]) => [`.${k}`, y])
          : (() => {
              throw invalid(p, "JSON-like data (map, array, string, number, boolean, null)", x);
            })();
      entries += items.length;
      if (entries > maxEntries) throw tooBig(path, `data with more than ${entries - 1} entries`, maxEntries);
      for (const [k, y] of items) walk(y, p + k, depth + 1);
    };
    if (!isPlainObject(v)) throw invalid(path, "a map", v);
    walk(v, path, 1);
    return v;
  };
}
