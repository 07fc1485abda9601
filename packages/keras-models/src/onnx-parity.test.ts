import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { argmax, densenetDir, haveImages, haveModels, maxAbsDiff, mobilenetDir, preprocessFiles, realImageFiles } from '../test/keras-fixtures.js';
import { loadKerasModel } from './load-model.js';
import { createOnnxRunner } from './onnx-backend.js';
import type { PreprocessMode } from './preprocess.js';
import { createWasmRunner } from './wasm-backend.js';

async function parity(dir: string, mode: PreprocessMode) {
  const loaded = await loadKerasModel(dir);
  const files = realImageFiles();
  const onnx = await createOnnxRunner(loaded, { threads: 2 });
  const wasm = await createWasmRunner(loaded, { threads: 2 });
  const classes = loaded.numClasses;
  let maxDiff = 0;
  let sameTop1 = 0;
  const mismatches: string[] = [];
  try {
    for (let start = 0; start < files.length; start += 8) {
      const chunk = files.slice(start, start + 8);
      const batch = await preprocessFiles(chunk, mode);
      const [a, b] = await Promise.all([onnx.predict(batch, chunk.length), wasm.predict(batch, chunk.length)]);
      maxDiff = Math.max(maxDiff, maxAbsDiff(a, b));
      for (let i = 0; i < chunk.length; i++) {
        const ta = argmax(a, i * classes, classes);
        const tb = argmax(b, i * classes, classes);
        if (ta === tb) sameTop1++;
        else mismatches.push(`${chunk[i]}: onnx ${ta} vs tfjs ${tb}`);
      }
    }
  } finally {
    await Promise.all([onnx.dispose(), wasm.dispose()]);
    loaded.model.dispose();
  }
  console.log(`${dir}: ${sameTop1}/${files.length} same top-1, max |p_onnx − p_tfjs| = ${maxDiff.toExponential(2)}`);
  return { n: files.length, sameTop1, maxDiff, mismatches };
}

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveModels && haveImages))('ONNX Runtime vs tfjs on the real weights and photos (needs ../shared/models and ../shared/oid-real)', () => {
  it('MobileNet v1 α=0.75 (tf preprocessing): same top-1 on every photo, probabilities within 1e-4', async () => {
    const r = await parity(mobilenetDir, 'tf');
    expect(r.n).toBe(35);
    expect(r.mismatches).toEqual([]);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('DenseNet121 (torch preprocessing): same top-1 on every photo, probabilities within 1e-4', async () => {
    const r = await parity(densenetDir, 'torch');
    expect(r.n).toBe(35);
    expect(r.mismatches).toEqual([]);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
  }, 240_000);
});

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveModels && haveImages))('ONNX runner sessions (needs ../shared/models and ../shared/oid-real)', () => {
  it('batches spread over two one-thread worker sessions give the probabilities of one session on the caller thread', async () => {
    const loaded = await loadKerasModel(mobilenetDir);
    const files = realImageFiles().slice(0, 16);
    const batches = await Promise.all([0, 4, 8, 12].map((s) => preprocessFiles(files.slice(s, s + 4), 'tf')));
    const one = await createOnnxRunner(loaded, { threads: 2, sessionThread: 'caller' });
    const two = await createOnnxRunner(loaded, { threads: 2, sessions: 2 });
    try {
      const want: Float32Array[] = [];
      for (const b of batches) want.push(await one.predict(b, 4));
      const got = await Promise.all(batches.map((b) => two.predict(b, 4))); // all in flight: both sessions busy
      got.forEach((g, i) => expect(maxAbsDiff(g, want[i])).toBeLessThanOrEqual(1e-5));
      await expect(createOnnxRunner(loaded, { threads: 2, sessions: 3 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    } finally {
      await Promise.all([one.dispose(), two.dispose()]);
      loaded.model.dispose();
    }
  }, 120_000);
});
