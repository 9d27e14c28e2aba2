import { ArgumentError } from "../errors.js";
import { ConstantSchedule } from "./constant.js";
import { CosineSchedule } from "./cosine.js";
import { InfiniteSchedule } from "./infinite.js";
import { InverseSqrtSchedule } from "./inverse_sqrt.js";
import { LinearSchedule } from "./linear.js";
import { RewarmSchedule } from "./rewarm.js";
import type { Schedule } from "./schedule.js";
import { WSD } from "./wsd.js";

// biome-ignore lint/suspicious/noExplicitAny: the options come from JSON and each constructor validates them
const BUILDERS: Record<string, (json: any) => Schedule> = {
  wsd: (j) => new WSD(j),
  cosine: (j) => new CosineSchedule(j),
  linear: (j) => new LinearSchedule(j),
  constant: (j) => new ConstantSchedule(j),
  "inverse-sqrt": (j) => new InverseSqrtSchedule(j),
  infinite: (j) => new InfiniteSchedule(j),
  rewarm: (j) =>
    new RewarmSchedule({ ...j, previous: j.previous === undefined ? undefined : scheduleFromJSON(j.previous) }),
};

/**
 * Rebuilds a schedule from its `toJSON()` (e.g. from a checkpoint). Unknown kinds are an error.
 *
 * @example
 * const again = scheduleFromJSON(JSON.parse(JSON.stringify(wsd)));
 */
export function scheduleFromJSON(json: unknown): Schedule {
  const kind = typeof json === "object" && json !== null ? (json as { kind?: unknown }).kind : undefined;
  const build = typeof kind === "string" && Object.hasOwn(BUILDERS, kind) ? BUILDERS[kind] : undefined;
  if (build === undefined)
    throw new ArgumentError(
      `scheduleFromJSON: kind must be one of ${Object.keys(BUILDERS).join(", ")}, got ${JSON.stringify(kind)}`,
    );
  const { kind: _kind, ...options } = json as Record<string, unknown>;
  return build(options);
}
