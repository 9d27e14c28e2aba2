// The CommonJS twin of smoke.mjs: require("slmkit") must give the same library as import.
const slmkit = require("slmkit");
const { runSmoke } = require("./smoke-steps.cjs");

runSmoke(slmkit, process.argv[2] ?? "cpu", "cjs");
