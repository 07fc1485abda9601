import { floatTensor, int64Tensor, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

/** Collects ONNX nodes and initializers with unique names; small constants are shared. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();
  parameters = 0;

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  add(opType: string, inputs: string[], outBase: string, attribute: OnnxAttribute[] = []): string {
    const output = this.fresh(outBase);
    this.nodes.push({ name: output, opType, input: inputs, output: [output], attribute });
    return output;
  }

  /** A tensor initializer (any type); counts toward `parameters` when `params` is set. */
  init(tensor: OnnxTensor, params = 0): string {
    this.initializers.push(tensor);
    this.parameters += params;
    return tensor.name;
  }

  floatInit(base: string, dims: number[], data: Float32Array): string {
    return this.init(floatTensor(this.fresh(base), dims, data), data.length);
  }

  scalar(value: number): string {
    const k = `f:${value}`;
    let name = this.constCache.get(k);
    if (!name) {
      name = this.fresh(`const_${value}`);
      this.initializers.push(floatTensor(name, [], Float32Array.of(value)));
      this.constCache.set(k, name);
    }
    return name;
  }

  int64s(values: number[]): string {
    const k = `i:${values.join(',')}`;
    let name = this.constCache.get(k);
    if (!name) {
      name = this.fresh(`shape_${values.join('_').replace(/-/g, 'm')}`);
      this.initializers.push(int64Tensor(name, [values.length], values));
      this.constCache.set(k, name);
    }
    return name;
  }
}
