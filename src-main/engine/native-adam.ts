import type * as tfType from '@tensorflow/tfjs';

/**
 * The fused Adam step's kernel name. The native engine registers it (native-kernels.ts); the name lives here so the
 * trainer core can ask for it without loading the addon, in Node and in the browser alike.
 */
export const nativeAdamKernel = 'NativeAdam';

/** The parts of tfjs's AdamOptimizer this subclass reuses, so its state (and checkpoints) stay the same. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tfType.Variable;
  accBeta2: tfType.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tfType.Variable }>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tfType.Variable }>;
  incrementIterations(): void;
}

/**
 * Adam whose per-variable update is one fused kernel instead of about ten elementwise ops (each a full pass over the
 * variable; together they were half of a dense autoencoder's step). Same formula, same state, same checkpoint
 * format as tf.train.adam, so a run can resume on either engine. Null when the current backend lacks the kernel.
 */
export function nativeAdam(tf: typeof tfType, learningRate: number): tfType.Optimizer | null {
  if (!tf.getKernel(nativeAdamKernel, tf.getBackend())) return null;

  class NativeAdamOptimizer extends tf.AdamOptimizer {
    override applyGradients(variableGradients: Parameters<tfType.Optimizer['applyGradients']>[0]): void {
      const self = this as unknown as AdamInternals;
      const names = Array.isArray(variableGradients)
        ? variableGradients.map((v) => v.name)
        : Object.keys(variableGradients);
      const c1 = 1 - self.accBeta1.dataSync()[0];
      const c2 = 1 - self.accBeta2.dataSync()[0];
      tf.tidy(() => {
        names.forEach((name, i) => {
          const value = tf.engine().registeredVariables[name];
          self.accumulatedFirstMoment[i] ??= {
            originalName: `${name}/m`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
          self.accumulatedSecondMoment[i] ??= {
            originalName: `${name}/v`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
          const grad = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
          if (grad == null) return;
          const m = self.accumulatedFirstMoment[i].variable;
          const v = self.accumulatedSecondMoment[i].variable;
          const [newValue, newM, newV] = tf
            .engine()
            .runKernel(
              nativeAdamKernel,
              { value, m, v, grad },
              { learningRate: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, c1, c2 },
            ) as tfType.Tensor[];
          m.assign(newM);
          v.assign(newV);
          value.assign(newValue);
        });
        self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
        self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
      });
      self.incrementIterations();
    }
  }
  return new NativeAdamOptimizer(learningRate, 0.9, 0.999);
}
