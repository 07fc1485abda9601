/**
 * Source of the ONNX Runtime session worker. onnxruntime-node runs a session synchronously on the calling thread,
 * so a session on the main thread stalls every decode, read and write between batches; in a worker it doesn't.
 * An `eval` worker (plain CommonJS string), so it runs the same from the TypeScript sources and from dist/.
 */
export const ONNX_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.sessionOptions);
  } catch (err) {
    parentPort.postMessage({ type: 'failed', error: String((err && err.message) || err) });
    return;
  }
  parentPort.postMessage({ type: 'ready' });
  parentPort.on('message', async (msg) => {
    if (msg.type === 'close') {
      await session.release();
      parentPort.close();
      return;
    }
    try {
      const out = await session.run({ [workerData.inputName]: new ort.Tensor('float32', msg.batch, msg.dims) });
      const probs = Float32Array.from(out[workerData.outputName].data);
      parentPort.postMessage({ id: msg.id, probs, batch: msg.batch }, [probs.buffer, msg.batch.buffer]);
    } catch (err) {
      parentPort.postMessage({ id: msg.id, error: String((err && err.message) || err) });
    }
  });
})();
`;
