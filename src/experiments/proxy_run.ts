// What the wind tunnel and the scaling study build for every training run: a μP MiniCPM, its AdamW and
// MiniCPM's WSD schedule, the same way each time so that runs differ only in what the experiment varies.
import type { Device } from "../backend/backend.js";
import { ArgumentError } from "../errors.js";
import { type MiniCPMConfig, type MiniCPMConfigInput, resolveMiniCPMConfig } from "../models/minicpm/config.js";
import { MiniCPM } from "../models/minicpm/model.js";
import { MINICPM_PRESETS, type MiniCPMPresetName } from "../models/minicpm/presets.js";
import { AdamW } from "../optim/adamw.js";
import { WSD } from "../schedule/wsd.js";

/** A preset name or a config, resolved; throws an ArgumentError naming `fn` for an unknown preset. */
export function proxyConfig(fn: string, proxy: MiniCPMPresetName | MiniCPMConfigInput): MiniCPMConfig {
  if (typeof proxy === "string") {
    const preset = (MINICPM_PRESETS as Record<string, MiniCPMConfig>)[proxy];
    if (!preset)
      throw new ArgumentError(
        `${fn}: unknown preset ${JSON.stringify(proxy)}; presets: ${Object.keys(MINICPM_PRESETS).join(", ")}`,
      );
    return preset;
  }
  return resolveMiniCPMConfig(proxy);
}

/** A μP-initialised model and its AdamW (at its defaults, MiniCPM's betas 0.9, 0.95); dispose both. */
export function buildProxy(
  config: MiniCPMConfigInput,
  { seed, device, weightDecay }: { seed: number; device: Device | undefined; weightDecay: number },
): { model: MiniCPM; optimizer: AdamW } {
  const model = new MiniCPM(config, { seed, device, init: "mup" });
  const optimizer = new AdamW(model.parameterGroups({ weightDecay }));
  return { model, optimizer };
}

/**
 * MiniCPM's WSD for a run of `steps`: linear warmup from 0, then peakLr, then the last `decayFraction` of the
 * steps in its exponential decay (half-life a quarter of the decay, as `slmkit train`'s default).
 */
export function proxySchedule(peakLr: number, steps: number, warmupSteps: number, decayFraction: number): WSD {
  const decaySteps = Math.round(decayFraction * steps);
  const warmup = Math.min(warmupSteps, steps - decaySteps);
  return new WSD({
    peakLr,
    warmupSteps: warmup,
    stableSteps: steps - warmup - decaySteps,
    decaySteps,
    decay: "exponential",
    halfLife: Math.max(1, decaySteps / 4),
    convention: "minicpm",
  });
}
