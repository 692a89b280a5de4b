/** ‖a − b‖₂ / ‖b‖₂: how far parameters `a` are from the reference `b`, relative to its size. */
export function relativeL2(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`relativeL2: ${a.length} values against ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
