import type { Activation } from '../../src-main/api/contract';

/** Activations offered in the model editor, with the names users know them by. */
export const activationOptions: Array<[Activation, string]> = [
  ['relu', 'ReLU'],
  ['leakyRelu', 'Leaky ReLU'],
  ['elu', 'ELU'],
  ['selu', 'SELU'],
  ['tanh', 'tanh'],
  ['sigmoid', 'sigmoid'],
  ['linear', 'linear'],
];
