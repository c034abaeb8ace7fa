// A small helper to write ONNX graphs by hand: unique names, constants, ops, and a count of the
// multiply-accumulates (MACs) of every Conv, tracked from the image size S.

import { TensorType, encodeModel, type AttributeValue, type Dim, type NodeSpec, type TensorSpec, type ValueSpec } from './onnx-proto.js';

/** A feature map [N, channels, S/divH, S/divW] derived from an S x S input image. */
export interface FeatureMap {
  name: string;
  channels: number;
  divH: number;
  divW: number;
}

interface ConvCost {
  node: string;
  macsPerPixel: number; // Cout * Cin/group * kh * kw
  divH: number;
  divW: number;
}

export interface ConvOptions {
  /** Weight tensor [Cout, Cin/group, kh, kw]. */
  weight: Float32Array;
  kernel: [number, number];
  outChannels: number;
  bias?: Float32Array;
  strides?: [number, number];
  /** [top, left, bottom, right]; must keep the output at exactly S/div. */
  pads?: [number, number, number, number];
  group?: number;
}

export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: TensorSpec[] = [];
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly convs: ConvCost[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  input(name: string, elemType: number, shape: Dim[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  output(name: string, elemType: number, shape: Dim[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  /** A float32 constant (initializer). A plain number becomes a scalar. */
  floats(values: number | number[] | Float32Array, dims?: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(typeof values === 'number' ? [values] : values);
    const name = this.fresh('const');
    this.initializers.push({ name, dataType: TensorType.FLOAT, dims: dims ?? (typeof values === 'number' ? [] : [data.length]), data });
    return name;
  }

  ints(values: number[], dims?: number[]): string {
    const name = this.fresh('const');
    this.initializers.push({
      name,
      dataType: TensorType.INT64,
      dims: dims ?? [values.length],
      data: BigInt64Array.from(values.map((v) => BigInt(v))),
    });
    return name;
  }

  /** Adds one node and returns its output names (use `op1` for single-output nodes). */
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, outputCount = 1, outputNames?: string[]): string[] {
    const outputs = outputNames ?? Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, inputs, outputs, name: this.fresh(`n_${opType}`), attributes });
    return outputs;
  }

  op1(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, outputName?: string): string {
    return this.op(opType, inputs, attributes, 1, outputName ? [outputName] : undefined)[0]!;
  }

  /** A Conv over a feature map; its cost is recorded for `macsAt`. */
  conv(x: FeatureMap, o: ConvOptions): FeatureMap {
    const group = o.group ?? 1;
    const [kh, kw] = o.kernel;
    const strides = o.strides ?? [1, 1];
    const pads = o.pads ?? [0, 0, 0, 0];
    const weight = this.floats(o.weight, [o.outChannels, x.channels / group, kh, kw]);
    const inputs = [x.name, weight];
    if (o.bias) inputs.push(this.floats(o.bias));
    const name = this.op1('Conv', inputs, { kernel_shape: [kh, kw], strides, pads, group });
    const out = { name, channels: o.outChannels, divH: x.divH * strides[0], divW: x.divW * strides[1] };
    this.convs.push({ node: name, macsPerPixel: o.outChannels * (x.channels / group) * kh * kw, divH: out.divH, divW: out.divW });
    return out;
  }

  /**
   * A 1x1 convolution written as MatMul over [N, C, H*W]: onnxruntime's CPU Conv path converts a
   * 3-channel input to its blocked layout and back, which costs more than the arithmetic.
   */
  pointwise(x: FeatureMap, o: { weight: Float32Array; bias: Float32Array; outChannels: number }): FeatureMap {
    const shape = this.op1('Shape', [x.name]);
    const flat = this.op1('Reshape', [x.name, this.ints([0, x.channels, -1])]);
    const product = this.op1('MatMul', [this.floats(o.weight, [o.outChannels, x.channels]), flat]);
    const biased = this.op1('Add', [product, this.floats(o.bias, [o.outChannels, 1])]);
    const outShape = this.op1('Concat', [
      this.op1('Slice', [shape, this.ints([0]), this.ints([1])]),
      this.ints([o.outChannels]),
      this.op1('Slice', [shape, this.ints([2]), this.ints([4])]),
    ], { axis: 0 });
    const name = this.op1('Reshape', [biased, outShape]);
    const out = { name, channels: o.outChannels, divH: x.divH, divW: x.divW };
    this.convs.push({ node: name, macsPerPixel: o.outChannels * x.channels, divH: x.divH, divW: x.divW });
    return out;
  }

  /** Multiply-accumulates of all Conv (and pointwise) nodes for one S x S image (element-wise ops not counted). */
  macsAt(size: number): number {
    return this.convs.reduce((sum, c) => sum + c.macsPerPixel * Math.floor(size / c.divH) * Math.floor(size / c.divW), 0);
  }

  encode(opset: number, doc?: string): Uint8Array {
    return encodeModel({
      name: this.name,
      doc,
      opset,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      initializers: this.initializers,
    });
  }
}
