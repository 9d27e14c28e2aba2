// Argument checks shared by the fitting tools; every message names the function and the argument.
import { ArgumentError } from "../../errors.js";

/** `value` if it is a finite number > 0; otherwise an ArgumentError like `fn: name must be ..., got -1`. */
export function checkPositive(fn: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(`${fn}: ${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

/**
 * The `fields` of every element of `points` as columns, after checking that `points` is an array of at
 * least `parameterCount + 1` objects (one more than the parameters, to estimate the noise) whose fields are
 * finite numbers > 0.
 */
export function positiveColumns<K extends string>(
  fn: string,
  points: unknown,
  fields: readonly K[],
  parameterCount: number,
): Record<K, number[]> {
  const shape = `{ ${fields.join(", ")} }`;
  if (!Array.isArray(points)) {
    throw new ArgumentError(`${fn}: points must be an array of ${shape}, got ${typeof points}`);
  }
  const needed = parameterCount + 1;
  if (points.length < needed) {
    throw new ArgumentError(
      `${fn}: points must hold at least ${needed} points (${parameterCount} parameters + 1 for the noise), got ${points.length}`,
    );
  }
  const columns = Object.fromEntries(fields.map((f) => [f, [] as number[]])) as Record<K, number[]>;
  points.forEach((point: unknown, i) => {
    if (typeof point !== "object" || point === null) {
      throw new ArgumentError(`${fn}: points[${i}] must be an object ${shape}, got ${String(point)}`);
    }
    const record = point as Record<string, unknown>;
    for (const f of fields) columns[f].push(checkPositive(fn, `points[${i}].${f}`, record[f]));
  });
  return columns;
}
