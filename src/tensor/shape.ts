import { ArgumentError, ShapeError, show } from "../errors.js";

export type Shape = readonly number[];

export const MAX_DIMS = 8;

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return show(shape);
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks a user-supplied shape: an array of at most MAX_DIMS whole numbers >= 0. */
export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(`${op}: ${arg} must be an array of sizes, got ${typeof shape}`);
  if (shape.length > MAX_DIMS)
    throw new ShapeError(`${op}: ${arg} has rank ${shape.length}; at most ${MAX_DIMS} dims are supported`);
  for (const s of shape) {
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0) {
      throw new ArgumentError(`${op}: ${arg} must hold whole numbers >= 0, got ${show(shape)}`);
    }
  }
  if (numelOf(shape) > 2 ** 40) throw new ShapeError(`${op}: ${arg} ${formatShape(shape)} has more than 2^40 elements`);
  return shape.slice();
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(op: string, axis: unknown, rank: number, arg = "dim"): number {
  if (typeof axis !== "number" || !Number.isInteger(axis))
    throw new ArgumentError(`${op}: ${arg} must be an integer, got ${show(axis)}`);
  const r = Math.max(rank, 1);
  if (axis < -r || axis >= r)
    throw new ArgumentError(`${op}: ${arg} ${axis} is out of range for a tensor of rank ${rank}`);
  return axis < 0 ? axis + r : axis;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}
