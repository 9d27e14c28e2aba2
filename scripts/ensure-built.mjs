// Builds the CPU addon when it is missing, so `npm start` works right after `npm install`.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync("build/Release/slmkit_cpu.node")) {
  console.log("building the CPU addon (first run only)...");
  execSync("npm run build:cpu", { stdio: "inherit" });
}
