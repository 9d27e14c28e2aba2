#!/usr/bin/env node
// `slmkit <command>`: a thin front end over the library; each command parses its flags and calls it.
import { cpuInfo } from "../backend/cpu.js";
import { ArgumentError } from "../errors.js";
import { runDemo } from "./demo.js";
import { DOCTOR_SPEC, doctorCommand } from "./doctor.js";
import { type CommandSpec, helpText, numberFlag, parseFlags } from "./flags.js";
import { GENERATE_SPEC, generateCommand } from "./generate.js";
import { scalingCommand } from "./scaling.js";
import { scheduleCommand } from "./schedule.js";
import { tokenizeCommand } from "./tokenize.js";
import { TRAIN_SPEC, trainCommand } from "./train.js";
import { TUNNEL_SPEC, tunnelCommand } from "./tunnel.js";
import "../index.js";

const DEMO_SPEC: CommandSpec = {
  name: "demo",
  usage: "slmkit demo [options]",
  description: "Trains a one-block character-level transformer on a paragraph of text on the CPU and prints the loss.",
  flags: [
    { name: "steps", type: "string", value: "N", default: "200", help: "training steps" },
    { name: "lr", type: "string", value: "X", default: "0.01", help: "learning rate" },
    { name: "seed", type: "string", value: "N", default: "0", help: "seeds the weights" },
  ],
};

const COMMANDS = [
  TRAIN_SPEC.name,
  GENERATE_SPEC.name,
  "tokenize",
  "schedule",
  TUNNEL_SPEC.name,
  "scaling",
  DEMO_SPEC.name,
  DOCTOR_SPEC.name,
];

const HELP = `slmkit <command> [options]

commands:
  train     train a language model (no options: a tiny MiniCPM on the State of the Union texts, a few minutes on the CPU)
  generate  stream text from a trained run: slmkit generate --run runs/sotu-tiny --prompt "..."
  tokenize  train or load a BPE tokenizer and write token shards
  schedule  plot a learning-rate schedule (WSD, cosine, ...) to an SVG file
  tunnel    MiniCPM's wind tunnel: search lr, scale_emb, scale_depth, init std on a proxy (--coord-check: μP's check)
  scaling   fit L(N, D) to (N, D, loss) points (scaling fit), or measure them with WSD decay branches (scaling study)
  demo      train a small character-level model on the CPU and print the loss
  doctor    print Node, N-API, CPU features and kernels, where each addon was loaded from, CUDA driver, GPU and cuBLASLt (--json)
  help      this text

\`slmkit <command> --help\` lists a command's options.`;

function demoCommand(argv: string[]): void {
  const { values, help } = parseFlags(DEMO_SPEC, argv);
  if (help) return console.log(helpText(DEMO_SPEC));
  const steps = numberFlag("demo", "steps", values.steps, { integer: true, min: 1 });
  const lr = numberFlag("demo", "lr", values.lr, { min: 0, exclusiveMin: true });
  const seed = numberFlag("demo", "seed", values.seed, { integer: true, min: 0 });
  const t0 = performance.now();
  const { first, last } = runDemo({ steps, lr, seed, log: (l) => console.log(l) });
  console.log(
    `loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${cpuInfo().isa} kernels, ${cpuInfo().threads} threads)`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [command = "help", ...rest] = argv;
  if (command === "train") await trainCommand(rest);
  else if (command === "generate") generateCommand(rest);
  else if (command === "tokenize") process.exitCode = await tokenizeCommand(rest);
  else if (command === "schedule") process.exitCode = await scheduleCommand(rest);
  else if (command === "tunnel") await tunnelCommand(rest);
  else if (command === "scaling") await scalingCommand(rest);
  else if (command === "demo") demoCommand(rest);
  else if (command === "doctor") doctorCommand(rest);
  else if (command === "help" || command === "--help" || command === "-h") console.log(HELP);
  else {
    console.error(`unknown command ${command}; commands: ${COMMANDS.join(", ")}\n\n${HELP}`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  // Bad usage is the user's to fix and its message says how (exit code 2); anything else is a failure (1).
  if (e instanceof ArgumentError) {
    console.error(e.message);
    process.exitCode = 2;
    return;
  }
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exitCode = 1;
});
