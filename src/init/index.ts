export { initNormal, initConstant, withSeed } from "./normal.js";
export { initMuP, initStandard, type MuPInitOptions, type StandardInitOptions } from "./mup.js";
