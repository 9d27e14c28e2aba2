/**
 * Every error slmkit throws on purpose is a `SlmkitError`. Subclasses say what kind of mistake it was;
 * messages name the op, the argument and the shapes so the caller can act on them.
 *
 * @example
 * try { matmul(zeros([2, 3]), zeros([4, 5])); } catch (e) { if (e instanceof ShapeError) console.log(e.message); }
 */
export class SlmkitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A value as an error message shows it. Never throws, whatever the caller passed: String() and template
 * literals throw on a Symbol inside an array or an object without a prototype, which turned argument
 * errors into bare TypeErrors.
 */
export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Shapes that do not fit together (broadcasting, matmul inner sizes, reshape sizes, ...). */
export class ShapeError extends SlmkitError {}

/** A dtype an op does not accept, or two dtypes that must agree and do not. */
export class DTypeError extends SlmkitError {}

/** An argument of the wrong JS type or outside its allowed range (axes, sizes, options). */
export class ArgumentError extends SlmkitError {}

/** Use of a tensor after `dispose()`. */
export class DisposedError extends SlmkitError {}

/** Tensors on different devices, or a device that is not available. */
export class DeviceError extends SlmkitError {}

/** A failure inside a native backend (a kernel's own check, out of memory, a missing kernel). */
export class BackendError extends SlmkitError {}

/** Autograd misuse: backward on a non-scalar without a gradient, on a tensor that needs no grad, ... */
export class AutogradError extends SlmkitError {}
