import * as tf from '../tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { haveImages, haveModels, maxAbsDiff, mobilenetDir, preprocessFiles, realImageFiles } from '../../test/keras-fixtures.js';
import { loadKerasModel } from '../load-model.js';
import { mainTf } from '../tfjs-main.js';
import { mobileNetV1 } from './mobilenet.js';
import { resNet50 } from './resnet50.js';

beforeAll(async () => {
  await mainTf();
});

/** The parts of a layer's Keras JSON that define it (tfjs normalises both sides the same way). */
function layerSpecs(model: tf.LayersModel) {
  const json = model.toJSON(null, false) as { config: { layers: Array<Record<string, unknown>> } };
  return json.config.layers.map((l) => ({ class_name: l.class_name, name: l.name, config: l.config, inbound_nodes: l.inbound_nodes }));
}

describe('Keras architectures built in code', () => {
  it('MobileNet v1 has the Keras parameter counts for every alpha', () => {
    const counts: Record<number, number> = { 0.25: 475_544, 0.5: 1_342_536, 0.75: 2_601_976, 1: 4_253_864 };
    for (const [alpha, params] of Object.entries(counts)) {
      const m = mobileNetV1({ alpha: Number(alpha) });
      expect(m.countParams()).toBe(params);
      m.dispose();
    }
    const m = mobileNetV1();
    expect(m.name).toBe('mobilenet_1.00_224');
    expect(m.layers.map((l) => l.name).slice(0, 8)).toEqual(['input_1', 'conv1', 'conv1_bn', 'conv1_relu', 'conv_dw_1', 'conv_dw_1_bn', 'conv_dw_1_relu', 'conv_pw_1']);
    expect(m.layers.map((l) => l.name).slice(-6)).toEqual(['global_average_pooling2d_1', 'reshape_1', 'dropout', 'conv_preds', 'act_softmax', 'reshape_2']);
    expect(m.outputs[0].shape).toEqual([null, 1000]);
    m.dispose();
  });

  it('ResNet50 has 25,636,712 parameters and the tf.keras layer names', () => {
    const m = resNet50();
    expect(m.countParams()).toBe(25_636_712);
    expect(m.layers.length).toBe(177);
    const names = m.layers.map((l) => l.name);
    expect(names.slice(0, 7)).toEqual(['input_1', 'conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool']);
    expect(names).toContain('conv2_block1_0_conv');
    expect(names).toContain('conv4_block6_out');
    expect(names.slice(-3)).toEqual(['conv5_block3_out', 'avg_pool', 'predictions']);
    expect(m.getLayer('conv3_block1_1_conv').getConfig().strides).toEqual([2, 2]); // Keras v1: stride on the first 1×1
    expect(m.outputs[0].shape).toEqual([null, 1000]);
    m.dispose();
  });
});

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveModels && haveImages))('MobileNet α=0.75 built in code vs the real Keras model.json (needs ../shared)', () => {
  it('same layers, names, configs and connections; the real weights load and give the same outputs', async () => {
    const real = await loadKerasModel(mobilenetDir);
    const built = mobileNetV1({ alpha: 0.75 });
    try {
      expect(built.name).toBe(real.model.name);
      expect(layerSpecs(built)).toEqual(layerSpecs(real.model));
      expect(built.countParams()).toBe(real.model.countParams());
      // Every weight of the real manifest, by name, into the built model (shapes must match exactly).
      for (const layer of built.layers) {
        if (layer.weights.length === 0) continue;
        const values = layer.weights.map((v) => {
          const w = real.weights.get(v.originalName);
          expect(w, v.originalName).toBeDefined();
          expect(w!.shape).toEqual(v.shape);
          return tf.tensor(w!.data, w!.shape);
        });
        layer.setWeights(values);
        tf.dispose(values);
      }
      const files = realImageFiles(1);
      const x = tf.tensor(await preprocessFiles(files, 'tf'), [files.length, 224, 224, 3]);
      const [a, b] = tf.tidy(() => [(real.model.predict(x) as tf.Tensor).dataSync(), (built.predict(x) as tf.Tensor).dataSync()]);
      x.dispose();
      expect(maxAbsDiff(a, b)).toBe(0);
    } finally {
      built.dispose();
      real.model.dispose();
    }
  }, 120_000);
});
