// tfjs without the @tensorflow/tfjs umbrella (which adds converter, data and webgl, ≈ 190 MB): core + layers, and the
// pure-JS cpu backend that holds the main thread's variables. The same names as the umbrella's `import * as tf`.
import '@tensorflow/tfjs-backend-cpu';
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
