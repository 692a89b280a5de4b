// The model's shape and loss, in one frozen object that travels in checkpoints
// and in the coordinator's welcome message. Every rank must hold the same one:
// the flat parameter layout (param-layout.ts) is a pure function of it.

export interface VaeConfig {
  /** Only "mlp" exists today; "conv" is reserved and rejected until it is built. */
  architecture: "mlp";
  /** Pixels per sample (784 for 28x28 MNIST). */
  inputSize: number;
  /** Hidden widths of the encoder, in order; the decoder uses them mirrored. May be empty (a linear VAE). */
  hiddenSizes: number[];
  /** Dimension of z. */
  latentSize: number;
  /** Likelihood p(x|z): Bernoulli on logits, or Gaussian with mean sigmoid(output) and a fixed std. */
  decoder: "bernoulli" | "gaussian";
  /** Fixed standard deviation of the Gaussian decoder; ignored for "bernoulli". */
  gaussianStd: number;
  /** Weight of the KL term (beta-VAE); 1 is the ELBO of Kingma & Welling. */
  beta: number;
}

/** 784-400-20 with a Bernoulli decoder, as in the paper's MNIST runs and the PyTorch example. */
export const DEFAULT_VAE_CONFIG: VaeConfig = Object.freeze({
  architecture: "mlp",
  inputSize: 784,
  hiddenSizes: Object.freeze([400]) as unknown as number[],
  latentSize: 20,
  decoder: "bernoulli",
  gaussianStd: 1,
  beta: 1,
});

const KNOWN_FIELDS = new Set(Object.keys(DEFAULT_VAE_CONFIG));

function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1 << 20) {
    throw new TypeError(`VaeConfig.${field} must be an integer in [1, 2^20], got ${describe(v)}`);
  }
  return v;
}

function positiveFinite(field: string, v: unknown, allowZero: boolean): number {
  const ok = typeof v === "number" && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0);
  if (!ok) throw new TypeError(`VaeConfig.${field} must be a finite number ${allowZero ? ">= 0" : "> 0"}, got ${describe(v)}`);
  return v as number;
}

/**
 * Checks an untrusted config (from a flag, a checkpoint or the wire) and returns
 * a frozen copy; missing fields take DEFAULT_VAE_CONFIG's values. Errors name
 * the field, the value and what was expected.
 */
export function validateVaeConfig(c: unknown): VaeConfig {
  if (typeof c !== "object" || c === null || Array.isArray(c)) {
    throw new TypeError(`VaeConfig must be an object, got ${describe(c)}`);
  }
  const raw = c as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) throw new TypeError(`VaeConfig has unknown field "${key}" (known: ${[...KNOWN_FIELDS].join(", ")})`);
  }
  const get = (k: keyof VaeConfig): unknown => (raw[k] === undefined ? DEFAULT_VAE_CONFIG[k] : raw[k]);

  const architecture = get("architecture");
  if (architecture !== "mlp") {
    const hint = architecture === "conv" ? " (conv is not built yet)" : "";
    throw new TypeError(`VaeConfig.architecture must be "mlp", got ${describe(architecture)}${hint}`);
  }
  const decoder = get("decoder");
  if (decoder !== "bernoulli" && decoder !== "gaussian") {
    throw new TypeError(`VaeConfig.decoder must be "bernoulli" or "gaussian", got ${describe(decoder)}`);
  }
  const hidden = get("hiddenSizes");
  if (!Array.isArray(hidden) || hidden.length > 16) {
    throw new TypeError(`VaeConfig.hiddenSizes must be an array of at most 16 layer widths, got ${describe(hidden)}`);
  }
  const hiddenSizes = hidden.map((h, i) => positiveInt(`hiddenSizes[${i}]`, h));

  return Object.freeze({
    architecture,
    inputSize: positiveInt("inputSize", get("inputSize")),
    hiddenSizes: Object.freeze(hiddenSizes) as unknown as number[],
    latentSize: positiveInt("latentSize", get("latentSize")),
    decoder,
    gaussianStd: positiveFinite("gaussianStd", get("gaussianStd"), false),
    beta: positiveFinite("beta", get("beta"), true),
  });
}
