// Tensor.backward(), attached here so that src/tensor never imports src/autograd.
import { Tensor } from "../tensor/tensor.js";
import { backward } from "./backward.js";

declare module "../tensor/tensor.js" {
  interface Tensor {
    /** Back-propagates from this tensor; see backward(). */
    backward(grad?: Tensor): void;
  }
}

Object.defineProperty(Tensor.prototype, "backward", {
  value: function (this: Tensor, grad?: Tensor) {
    backward(this, grad);
  },
  writable: true,
  configurable: true,
});
