// The papers' methods as tools. Scaling laws: MiniCPM's batch-size law and its WSD data–model law.
export {
  optimalBatchSize,
  lossForBatchSize,
  fitBatchSizeLaw,
  MINICPM_BATCH_SIZE_LAW,
  type BatchSizeLaw,
  type BatchSizePoint,
  type BatchSizeLawFit,
} from "./scaling/batch_size_law.js";
export { scalingLawLoss, MINICPM_SCALING_LAW, type ScalingLaw } from "./scaling/scaling_law.js";
export { fitScalingLaw, type ScalingLawPoint, type ScalingLawFit } from "./scaling/fit_scaling_law.js";
export { computeOptimal, computeForTokensPerParam, type ComputeOptimal } from "./scaling/compute_optimal.js";
export type { ParameterEstimate } from "./fit/parameter_estimate.js";
// μP's coordinate check: activation sizes across widths after a few AdamW steps.
export { coordCheck, type CoordCheckOptions, type CoordCheckResult } from "./coord_check.js";
export { coordCheckSvg, type CoordCheckSvgOptions } from "./coord_check_plot.js";
// MiniCPM's model wind tunnel: μP hyper-parameters tuned on a small proxy, every trial recorded, resumable.
export {
  windTunnel,
  type WindTunnelOptions,
  type WindTunnelRecord,
  type WindTunnelResult,
} from "./tunnel/wind_tunnel.js";
export type { TunnelHyperParameters, TunnelAxis, TunnelSpace, TunnelSearch } from "./tunnel/search_space.js";
// MiniCPM's WSD scaling-law study: one stable run per size, decay branches, (N, D, loss) and the fit.
export {
  scalingStudy,
  type ScalingStudyOptions,
  type ScalingStudySize,
  type ScalingStudyPoint,
  type ScalingStudyResult,
} from "./scaling/wsd_study.js";
