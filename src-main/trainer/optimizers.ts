import type * as tfType from '@tensorflow/tfjs';
import type { TrainingConfig } from '../api/contract';
import { nativeAdam } from '../engine/native-adam';

/**
 * The optimizers a run trains with, with the update rules Keras and PyTorch document, so a notebook's settings mean
 * the same here: epsilon 1e-7 (Keras's default) everywhere, given rather than left to the backend (tfjs's webgl
 * backend would pick 1e-4), so every engine agrees.
 */
export const optimizerEpsilon = 1e-7;

/** RMSprop's decay of its mean square (Keras's rho; PyTorch's alpha, which it defaults to 0.99 instead). */
export const rmspropRho = 0.9;

/** The parts of tfjs's RMSPropOptimizer the subclass reuses, so its state (and checkpoints) keep their layout. */
interface RmspropInternals {
  learningRate: number;
  decay: number;
  momentum: number;
  epsilon: number;
  accumulatedMeanSquares: Array<{ originalName: string; variable: tfType.Variable }>;
  accumulatedMoments: Array<{ originalName: string; variable: tfType.Variable }>;
  incrementIterations(): void;
}

/**
 * RMSprop as Keras and PyTorch define it: ms ← ρ·ms + (1−ρ)·g², buf ← μ·buf + g / (√ms + ε), w ← w − lr·buf.
 * tfjs's own adds ε inside the square root (g / √(ms + ε)): with small gradients, as a dense autoencoder's are, √ε
 * (3e-4) swamps √ms and the steps shrink to almost nothing — its runs stayed flat grey where PyTorch's trained.
 */
function rmsprop(tf: typeof tfType, learningRate: number, momentum: number): tfType.Optimizer {
  class KerasRmsprop extends tf.RMSPropOptimizer {
    override applyGradients(variableGradients: Parameters<tfType.Optimizer['applyGradients']>[0]): void {
      const self = this as unknown as RmspropInternals;
      const names = Array.isArray(variableGradients)
        ? variableGradients.map((v) => v.name)
        : Object.keys(variableGradients);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedMeanSquares[i] ??= {
          originalName: `${name}/rms`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        self.accumulatedMoments[i] ??= {
          originalName: `${name}/momentum`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const grad = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (grad == null) return;
        const meanSquare = self.accumulatedMeanSquares[i].variable;
        const moment = self.accumulatedMoments[i].variable;
        tf.tidy(() => {
          const newMeanSquare = tf.add(tf.mul(meanSquare, self.decay), tf.mul(tf.square(grad), 1 - self.decay));
          const step = tf.div(grad, tf.add(tf.sqrt(newMeanSquare), self.epsilon));
          const newMoment = self.momentum > 0 ? tf.add(tf.mul(moment, self.momentum), step) : step;
          meanSquare.assign(newMeanSquare);
          if (self.momentum > 0) moment.assign(newMoment);
          value.assign(tf.sub(value, tf.mul(newMoment, self.learningRate)));
        });
      });
      self.incrementIterations();
    }
  }
  return new KerasRmsprop(learningRate, rmspropRho, momentum, optimizerEpsilon);
}

/**
 * The run's optimizer. SGD with momentum is tfjs's MomentumOptimizer, whose rule (buf ← μ·buf + g, w ← w − lr·buf)
 * is PyTorch's and, at a constant learning rate, Keras's.
 */
export function makeOptimizer(tf: typeof tfType, config: TrainingConfig): tfType.Optimizer {
  const momentum = config.momentum ?? 0;
  switch (config.optimizer) {
    case 'adam': {
      const adam =
        nativeAdam(tf, config.learningRate) ?? tf.train.adam(config.learningRate, 0.9, 0.999, optimizerEpsilon);
      return config.weightDecay ? withWeightDecay(tf, adam, config.weightDecay) : adam;
    }
    case 'rmsprop':
      return rmsprop(tf, config.learningRate, momentum);
    case 'sgd':
      return momentum > 0 ? tf.train.momentum(config.learningRate, momentum) : tf.train.sgd(config.learningRate);
  }
}

/**
 * Decoupled weight decay, as PyTorch's AdamW does it: before each step every weight is multiplied by
 * 1 − lr × decay, apart from the gradient (so Adam's scaling does not weaken it, as an L2 term in the loss would be).
 * Wraps the instance's applyGradients, so the optimizer's state and checkpoints stay Adam's.
 */
function withWeightDecay(tf: typeof tfType, optimizer: tfType.Optimizer, decay: number): tfType.Optimizer {
  const step = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (variableGradients) => {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const keep = 1 - learningRateOf(optimizer) * decay;
    tf.tidy(() => {
      for (const name of names) {
        const value = tf.engine().registeredVariables[name];
        value.assign(tf.mul(value, keep));
      }
    });
    step(variableGradients);
  };
  return optimizer;
}

const learningRateOf = (optimizer: tfType.Optimizer) => (optimizer as unknown as { learningRate: number }).learningRate;

/**
 * Sets the rate the next steps use (a schedule's rate for this epoch). SGD and momentum keep it as a tensor made by
 * their own setLearningRate; Adam and our RMSprop read the field at each step.
 */
export function setLearningRate(optimizer: tfType.Optimizer, rate: number): void {
  if (learningRateOf(optimizer) === rate) return;
  const sgd = optimizer as unknown as { setLearningRate?: (rate: number) => void };
  if (typeof sgd.setLearningRate === 'function') sgd.setLearningRate(rate);
  else (optimizer as unknown as { learningRate: number }).learningRate = rate;
}
