/**
 * Source of one wasm inference worker. It is an `eval` worker (plain CommonJS string) so it runs the same from the
 * TypeScript sources (tests) and from dist/, without a loader. Module paths come in through workerData.
 */
export const WASM_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const tf = require(workerData.corePath);
const { loadLayersModel } = require(workerData.layersPath);
require(workerData.wasmPath);
(async () => {
  try {
    tf.env().set('PROD', true);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tfjs wasm backend failed to initialise');
    await tf.ready();
    const artifacts = workerData.artifacts;
    const model = await loadLayersModel({ load: async () => artifacts });
    const [h, w] = workerData.inputSize;
    const run = (batch, n) => {
      const out = tf.tidy(() => {
        const y = model.predict(tf.tensor4d(batch, [n, h, w, 3]));
        return Array.isArray(y) ? y[0] : y;
      });
      const data = out.dataSync();
      out.dispose();
      return data;
    };
    run(new Float32Array(h * w * 3), 1); // compile kernels before the first real batch
    parentPort.on('message', (msg) => {
      if (msg.type === 'close') {
        model.dispose();
        parentPort.close();
        return;
      }
      try {
        const data = run(msg.batch, msg.n);
        const copy = new Float32Array(data);
        parentPort.postMessage({ id: msg.id, probs: copy }, [copy.buffer]);
      } catch (err) {
        parentPort.postMessage({ id: msg.id, error: String(err && err.message || err) });
      }
    });
    parentPort.postMessage({ type: 'ready', simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', error: String(err && err.stack || err) });
  }
})();
`;
