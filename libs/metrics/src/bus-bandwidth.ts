// Bus bandwidth of an all-reduce, as NCCL's performance notes define it
// (https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md):
//   algbw = S / t                       (bytes of the buffer per second)
//   busbw = algbw · 2(W − 1) / W        (what each link actually carried)
// busbw is comparable across world sizes and against the link's peak, which
// algbw is not: a ring moves 2(W−1)/W · S bytes per rank whatever W is.

/**
 * @param bufferBytes size S of the reduced buffer (uncompressed, as the model sees it)
 * @param worldSize ranks W taking part
 * @param seconds wall time t of the all-reduce
 * @returns bytes per second; 0 for a single rank, which moves nothing
 */
export function busBandwidth(bufferBytes: number, worldSize: number, seconds: number): number {
  if (!Number.isFinite(bufferBytes) || bufferBytes < 0) {
    throw new RangeError(`busBandwidth: bufferBytes must be a finite number >= 0, got ${bufferBytes}`);
  }
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new RangeError(`busBandwidth: worldSize must be an integer >= 1, got ${worldSize}`);
  }
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`busBandwidth: seconds must be a finite number > 0, got ${seconds}`);
  }
  return ((bufferBytes / seconds) * 2 * (worldSize - 1)) / worldSize;
}
