// The wind tunnel's search space: which values of the μP hyper-parameters to try, by grid or seeded random search.
import { CounterRandom } from "../../data/seeded_random.js";
import { ArgumentError } from "../../errors.js";

/** The hyper-parameters the wind tunnel tunes (MiniCPM's: base lr, scale_emb, scale_depth, init std). */
export interface TunnelHyperParameters {
  /** Base learning rate (μP scales it per parameter). */
  lr: number;
  /** MiniCPMConfig.scale_emb. */
  scaleEmb: number;
  /** MiniCPMConfig.scale_depth. */
  scaleDepth: number;
  /** MiniCPMConfig.initializer_range (divided by sqrt(m) under μP init). */
  initStd: number;
}

export const HYPER_PARAMETERS = [
  "lr",
  "scaleEmb",
  "scaleDepth",
  "initStd",
] as const satisfies readonly (keyof TunnelHyperParameters)[];

/** A list of values (grid, or picked from at random), or a range sampled log-uniformly (random search only). */
export type TunnelAxis = readonly number[] | { readonly min: number; readonly max: number };

/** Values to try per hyper-parameter; one left out keeps the proxy's value (lr: 0.01). */
export type TunnelSpace = Partial<Record<keyof TunnelHyperParameters, TunnelAxis>>;

/** "grid": every combination of the lists; `{ trials, seed }`: that many seeded random draws. */
export type TunnelSearch = "grid" | { trials: number; seed?: number };

/** Random draws are rounded to this many significant digits, so that trial ids read well and repeat exactly. */
const DIGITS = 4;

const positive = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

function checkAxis(name: string, axis: TunnelAxis, grid: boolean): void {
  if (Array.isArray(axis)) {
    if (axis.length === 0 || !axis.every(positive))
      throw new ArgumentError(
        `windTunnel: space.${name} must be a non-empty list of numbers > 0, got ${JSON.stringify(axis)}`,
      );
    return;
  }
  const range = axis as { min: unknown; max: unknown };
  if (
    range === null ||
    typeof range !== "object" ||
    !positive(range.min) ||
    !positive(range.max) ||
    range.min > range.max
  )
    throw new ArgumentError(
      `windTunnel: space.${name} must be a list or { min, max } with 0 < min <= max, got ${JSON.stringify(axis)}`,
    );
  if (grid)
    throw new ArgumentError(
      `windTunnel: space.${name} is a range, which only random search samples; give a list for a grid`,
    );
}

/**
 * The trials of a search, in a fixed order: a grid enumerates the lists (lr slowest), random search draws each
 * hyper-parameter independently (a list uniformly, a range log-uniformly) from a counter-based generator, so
 * the same seed gives the same trials on every run. Duplicate draws are kept once.
 */
export function tunnelTrials(
  space: TunnelSpace,
  search: TunnelSearch,
  defaults: TunnelHyperParameters,
): TunnelHyperParameters[] {
  if (space === null || typeof space !== "object") throw new ArgumentError("windTunnel: space must be an object");
  const unknown = Object.keys(space).filter((k) => !(HYPER_PARAMETERS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw new ArgumentError(
      `windTunnel: space.${unknown[0]} is not tuned; the space names ${HYPER_PARAMETERS.join(", ")}`,
    );
  const grid = search === "grid";
  if (!grid && (search === null || typeof search !== "object" || !Number.isInteger(search.trials) || search.trials < 1))
    throw new ArgumentError(
      `windTunnel: search must be "grid" or { trials: N >= 1, seed }, got ${JSON.stringify(search)}`,
    );
  for (const name of HYPER_PARAMETERS) if (space[name] !== undefined) checkAxis(name, space[name], grid);
  const axis = (name: keyof TunnelHyperParameters): TunnelAxis => space[name] ?? [defaults[name]];

  let trials: TunnelHyperParameters[];
  if (grid) {
    trials = [{}] as TunnelHyperParameters[];
    for (const name of HYPER_PARAMETERS) {
      trials = trials.flatMap((t) => (axis(name) as number[]).map((v) => ({ ...t, [name]: v })));
    }
  } else {
    const { trials: count, seed = 0 } = search;
    if (!Number.isSafeInteger(seed))
      throw new ArgumentError(`windTunnel: search.seed must be a safe integer, got ${seed}`);
    trials = Array.from({ length: count }, (_, i) => {
      const trial = {} as TunnelHyperParameters;
      // One stream per hyper-parameter, so that widening one axis does not move the draws of the others.
      for (const name of HYPER_PARAMETERS)
        trial[name] = draw(axis(name), new CounterRandom(seed, `tunnel.${name}`).uniform(i));
      return trial;
    });
  }
  const seen = new Set<string>();
  return trials.filter((t) => !seen.has(trialId(t)) && seen.add(trialId(t)));
}

function draw(axis: TunnelAxis, u: number): number {
  if (Array.isArray(axis)) return axis[Math.min(axis.length - 1, Math.floor(u * axis.length))]!;
  const { min, max } = axis as { min: number; max: number };
  return Number((min * (max / min) ** u).toPrecision(DIGITS));
}

/** A trial's name in the record file, e.g. `lr=0.01 scale_emb=12 scale_depth=1.4 init_std=0.1`. */
export function trialId(t: TunnelHyperParameters): string {
  return `lr=${t.lr} scale_emb=${t.scaleEmb} scale_depth=${t.scaleDepth} init_std=${t.initStd}`;
}
