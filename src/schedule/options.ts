import { ArgumentError } from "../errors.js";

/** Bounds an option must respect; `integer` for step counts. */
interface Bounds {
  integer?: boolean;
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
}

/**
 * Checks one numeric schedule option and returns it; the error names the schedule, the option and the value,
 * e.g. `WSD: warmupSteps must be a whole number >= 0, got -3`.
 */
export function checkOption(schedule: string, option: string, value: unknown, bounds: Bounds = {}): number {
  const rules: string[] = [bounds.integer ? "a whole number" : "a finite number"];
  if (bounds.min !== undefined) rules.push(`>= ${bounds.min}`);
  if (bounds.above !== undefined) rules.push(`> ${bounds.above}`);
  if (bounds.max !== undefined) rules.push(`<= ${bounds.max}`);
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!bounds.integer || Number.isInteger(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max);
  if (!ok) throw new ArgumentError(`${schedule}: ${option} must be ${rules.join(" ")}, got ${String(value)}`);
  return value as number;
}

/** Checks that a string option is one of `choices`. */
export function checkChoice<T extends string>(
  schedule: string,
  option: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (!choices.includes(value as T))
    throw new ArgumentError(
      `${schedule}: ${option} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(value)}`,
    );
  return value as T;
}

/** Checks a step argument of `at`/`phase` (a whole number >= 0). */
export function checkStep(schedule: string, step: unknown): number {
  return checkOption(schedule, "step", step, { integer: true, min: 0 });
}
