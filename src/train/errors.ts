import { SlmkitError } from "../errors.js";

/**
 * Training produced a NaN or infinite loss or gradient norm. The weights were not updated with it and no
 * checkpoint of that state was written; the message names the step and the last good checkpoint.
 */
export class NonFiniteLossError extends SlmkitError {
  constructor(
    message: string,
    readonly step: number,
    readonly lastCheckpoint: string | null,
  ) {
    super(message);
  }
}
