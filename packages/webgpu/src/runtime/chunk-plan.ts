/**
 * Splitting tensors that exceed the device's binding limit (`maxStorageBufferBindingSize`, `maxBufferSize`) into
 * row chunks, and walking several row-chunked tensors together in segments where each lies in one chunk.
 *
 * A tensor's rows are its flattened leading dimensions (`numel / lastDim`); a chunk holds whole rows and a byte
 * size that is a multiple of 4, so packed 16-bit data never straddles two buffers.
 * @internal
 * @module
 */
import { UnsupportedError } from '@vblora/core';

/** One chunk of rows: rows [firstRow, firstRow + rows). */
export interface RowRange {
  readonly firstRow: number;
  readonly rows: number;
}

/**
 * Splits `rows` rows of `rowBytes` bytes each into chunks of at most `limitBytes` bytes (one chunk if it fits).
 * @throws {UnsupportedError} when a single row is larger than the limit.
 */
export function planChunks(rows: number, rowBytes: number, limitBytes: number): RowRange[] {
  if (rows * rowBytes <= limitBytes) return [{ firstRow: 0, rows }];
  if (rowBytes > limitBytes) {
    throw new UnsupportedError(
      `one tensor row of ${rowBytes} bytes exceeds the device's storage binding limit of ${limitBytes} bytes; ` +
        'rows are never split, so this tensor cannot be bound (reshape it so its last dimension is smaller)',
    );
  }
  // rows per chunk, rounded down so that the chunk's byte size is a multiple of 4
  const unit = rowBytes % 4 === 0 ? 1 : rowBytes % 2 === 0 ? 2 : 4;
  let per = Math.floor(limitBytes / rowBytes);
  per -= per % unit;
  if (per === 0) {
    throw new UnsupportedError(
      `rows of ${rowBytes} bytes cannot be grouped into 4-byte-aligned chunks under ${limitBytes} bytes`,
    );
  }
  const out: RowRange[] = [];
  for (let first = 0; first < rows; first += per) out.push({ firstRow: first, rows: Math.min(per, rows - first) });
  return out;
}

/** Where one tensor's rows of a segment lie: its chunk number and the segment's first row inside that chunk. */
export interface SegmentPart {
  readonly chunk: number;
  readonly rowInChunk: number;
}

/** A run of rows [start, start + rows) lying in one chunk of every tensor walked together. */
export interface Segment {
  readonly start: number;
  readonly rows: number;
  readonly parts: readonly SegmentPart[];
}

/**
 * Cuts a shared row space of `rows` rows at every chunk boundary of every tensor, so each segment can be bound as
 * one buffer per tensor. Tensors must have `rows` rows each (the caller checks shapes).
 */
export function rowSegments(rows: number, chunkings: readonly (readonly RowRange[])[]): Segment[] {
  const cuts = new Set<number>([0, rows]);
  for (const chunks of chunkings) for (const c of chunks) if (c.firstRow < rows) cuts.add(c.firstRow);
  const sorted = [...cuts].sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let s = 0; s + 1 < sorted.length; s++) {
    const start = sorted[s]!;
    const end = sorted[s + 1]!;
    if (end <= start) continue;
    const parts = chunkings.map((chunks) => {
      const chunk = chunks.findIndex((c) => start >= c.firstRow && start < c.firstRow + c.rows);
      return { chunk, rowInChunk: start - chunks[chunk]!.firstRow };
    });
    segments.push({ start, rows: end - start, parts });
  }
  return segments;
}
