// How a buffer is cut into one segment per rank and each segment into chunks.
// Every rank computes the same cut from (length, worldSize, chunkElements), so
// empty segments and chunk counts never need to be sent.

/** Half-open element range [start, end) of a buffer. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits `length` elements into `parts` contiguous segments whose lengths
 * differ by at most one (segment k = [⌊k·n/p⌋, ⌊(k+1)·n/p⌋)). Segments are
 * empty when length < parts.
 */
export function segments(length: number, parts: number): Span[] {
  const out: Span[] = [];
  for (let k = 0; k < parts; k++) {
    out.push({ start: Math.floor((k * length) / parts), end: Math.floor(((k + 1) * length) / parts) });
  }
  return out;
}

/** Cuts `span` into chunks of at most `chunkElements` elements (none when the span is empty). */
export function chunks(span: Span, chunkElements: number): Span[] {
  const out: Span[] = [];
  for (let start = span.start; start < span.end; start += chunkElements) {
    out.push({ start, end: Math.min(start + chunkElements, span.end) });
  }
  return out;
}
