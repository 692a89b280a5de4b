// The standard normal quantile grid of Kingma & Welling's manifold figure (their Fig. 4).
// (Prior draws for the sample figures are @vae/training's priorDraws, shared with the coordinator.)

// Coefficients of P. J. Acklam's rational approximation (relative error < 1.15e-9).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** The standard normal quantile function Φ⁻¹(p) for p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  if (p > 1 - P_LOW) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
    (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
}

/** `size` evenly spaced probabilities (i + 1/2) / size mapped through Φ⁻¹: the grid stays finite at the edges. */
export function quantileAxis(size: number): number[] {
  return Array.from({ length: size }, (_, i) => normalQuantile((i + 0.5) / size));
}

/**
 * The size x size latent points of the manifold figure, row-major as the picture
 * reads: z1 grows left to right, z2 grows bottom to top.
 */
export function latentGridPoints(size: number): Float32Array {
  const axis = quantileAxis(size);
  const z = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const k = row * size + col;
      z[2 * k] = axis[col]!;
      z[2 * k + 1] = axis[size - 1 - row]!;
    }
  }
  return z;
}
