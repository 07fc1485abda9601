/** Timing helpers shared by the backend benchmarks. */

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `n` random NHWC images of `size` in [-1, 1): what preprocess_input gives, without decoding anything. */
export function randomBatch(n: number, size: readonly [number, number]): Float32Array {
  const x = new Float32Array(n * size[0] * size[1] * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

/**
 * Median ms/image of `images` images pushed through `call` (one call = one batch of `batch`), `inFlight` calls at
 * a time, over `reps` repetitions after one warm-up call.
 */
export async function msPerImage(call: () => Promise<unknown>, o: { images: number; batch: number; reps: number; inFlight?: number }): Promise<number> {
  const inFlight = o.inFlight ?? 1;
  await call();
  const calls = Math.max(inFlight, Math.ceil(o.images / o.batch));
  const reps: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < calls) {
          next++;
          await call();
        }
      }),
    );
    reps.push((performance.now() - t0) / (calls * o.batch));
  }
  return median(reps);
}
