/**
 * A learning-rate schedule: a pure function of the optimiser step (counting from 0), serialisable to JSON
 * so that checkpoints can restore it exactly.
 *
 * @example
 * const lr = schedule.at(step);
 */
export interface Schedule {
  /** The learning rate at `step` (0-based; the rate used for the update that follows step `step`). */
  at(step: number): number;
  /** A plain JSON description from which `scheduleFromJSON` rebuilds an equal schedule. */
  toJSON(): { kind: string } & Record<string, unknown>;
  /** Steps where a new phase starts (e.g. "decay"), for plot markers and logs; absent when it has none. */
  phaseStarts?(): PhaseStart[];
}

/** The first step of a named phase of a schedule. */
export interface PhaseStart {
  step: number;
  phase: string;
}
