import * as tf from './tfjs.js';

let ready: Promise<typeof tf> | undefined;

/**
 * The main thread's tfjs, on the pure-JS cpu backend (only to hold the LayersModel's variables: inference runs on
 * onnx, tfjs-node or wasm workers). Never webgl, which in Node only prints warnings. If tfjs-node is loaded it wins.
 */
export function mainTf(): Promise<typeof tf> {
  ready ??= (async () => {
    if (tf.getBackend() !== 'tensorflow') {
      tf.env().set('PROD', true); // silences the "install tfjs-node" banner of the cpu backend (and debug checks)
      await tf.setBackend('cpu');
    }
    await tf.ready();
    return tf;
  })();
  return ready;
}

/** An IOHandler that hands tfjs already-validated artifacts (tfjs-node's file:// handler can't be used here). */
export function memoryHandler(artifacts: tf.io.ModelArtifacts): tf.io.IOHandler {
  return { load: async () => artifacts };
}
