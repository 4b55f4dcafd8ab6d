import {
  backend_util,
  getKernel,
  registerKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';

/**
 * Gradient kernels the wasm backend lacks, expressed as forward convolutions so they run on its fast XNNPACK Conv2D.
 *
 * The filter gradient of a convolution with stride s is itself a convolution: correlate the input (batch and channels
 * swapped, so images become input channels) with dy used as the filter, dilated by s. That turns the most expensive
 * part of conv training into one well-optimised call instead of a naive loop.
 */

type Backend = { disposeData(dataId: object): boolean };

function kernel(name: string): KernelFunc {
  const config = getKernel(name, 'wasm');
  if (!config) throw new Error(`The wasm backend has no ${name} kernel`);
  return config.kernelFunc;
}

function conv2dBackpropFilter({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
    dataFormat: 'NHWC' | 'NCHW';
  };
  if (dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const wasm = backend as unknown as Backend;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [kh, kw] = filterShape;
  const [, h, w] = x.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Padding after the input that makes the correlation produce exactly kh x kw outputs; negative means the
  // input's last rows/columns are never touched by any filter tap and are cropped instead.
  const bottom = kh + (oh - 1) * sh - h - top;
  const right = kw + (ow - 1) * sw - w - left;
  const toFree: TensorInfo[] = [];
  const run = (name: string, kernelInputs: Record<string, TensorInfo>, kernelAttrs: object): TensorInfo => {
    const out = kernel(name)({ inputs: kernelInputs, backend, attrs: kernelAttrs as never }) as TensorInfo;
    toFree.push(out);
    return out;
  };
  try {
    let input = x;
    if (bottom < 0 || right < 0) {
      input = run(
        'Slice',
        { x },
        {
          begin: [0, 0, 0, 0],
          size: [x.shape[0], h + Math.min(bottom, 0), w + Math.min(right, 0), x.shape[3]],
        },
      );
    }
    const xT = run('Transpose', { x: input }, { perm: [3, 1, 2, 0] });
    const dyT = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const grad = run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [top, Math.max(bottom, 0)],
          [left, Math.max(right, 0)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    const result = kernel('Transpose')({ inputs: { x: grad }, backend, attrs: { perm: [1, 2, 0, 3] } as never });
    return result as TensorInfo;
  } finally {
    for (const t of toFree) wasm.disposeData(t.dataId);
  }
}

const kernels: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter },
];

let registered = false;

/** Registers the kernels once; safe to call again. Must run after the wasm backend module is imported. */
export function registerWasmConvGradients(): void {
  if (registered) return;
  for (const config of kernels) {
    if (!getKernel(config.kernelName, 'wasm')) registerKernel(config);
  }
  registered = true;
}
