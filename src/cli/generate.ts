// `slmkit generate`: loads a run's tokenizer, config and latest checkpoint and streams sampled text.
import * as fs from "node:fs";
import * as path from "node:path";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { ArgumentError } from "../errors.js";
import { loadSafetensors } from "../io/safetensors.js";
import { MiniCPM } from "../models/minicpm/index.js";
import { noGrad } from "../tensor/graph.js";
import { latestCheckpoint } from "../train/checkpoint.js";
import { type CommandSpec, deviceFlag, helpText, numberFlag, parseFlags } from "./flags.js";

export const GENERATE_SPEC: CommandSpec = {
  name: "generate",
  usage: "slmkit generate --run runs/<name> [options]",
  description: "Loads tokenizer.json, config.json and the latest checkpoint of a run and streams generated text to stdout.",
  flags: [
    { name: "run", type: "string", value: "DIR", help: "run folder written by slmkit train (required)" },
    { name: "checkpoint", type: "string", value: "DIR", help: "a checkpoint folder (default: the run's latest)" },
    { name: "prompt", type: "string", value: "TEXT", default: "The state of the Union", help: "text to continue" },
    { name: "max-tokens", type: "string", value: "N", default: "100", help: "most tokens to generate" },
    { name: "temperature", type: "string", value: "X", default: "0.8", help: "sampling temperature (0: greedy)" },
    { name: "top-k", type: "string", value: "N", default: "40", help: "sample among the k likeliest tokens (0: all)" },
    { name: "top-p", type: "string", value: "X", default: "1", help: "nucleus sampling threshold" },
    { name: "seed", type: "string", value: "N", default: "0", help: "seeds sampling" },
    { name: "device", type: "string", value: "cpu|cuda", default: "cpu", help: "where to run the model" },
  ],
};

/** Runs `slmkit generate`; `write` receives the prompt and then each decoded piece as it is sampled. */
export function generateCommand(argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): void {
  const { values, help } = parseFlags(GENERATE_SPEC, argv);
  if (help) {
    console.log(helpText(GENERATE_SPEC));
    return;
  }
  const cmd = "generate";
  if (!values.run) throw new ArgumentError("slmkit generate: --run <run folder> is required (see slmkit generate --help)");
  const runDir = String(values.run);
  const device = deviceFlag(cmd, values.device);
  for (const file of ["tokenizer.json", "config.json"]) {
    if (!fs.existsSync(path.join(runDir, file))) throw new ArgumentError(`slmkit generate: ${path.join(runDir, file)} does not exist; is ${runDir} a folder written by slmkit train?`);
  }
  const checkpoint = values.checkpoint ? String(values.checkpoint) : latestCheckpoint(runDir);
  if (!checkpoint) throw new ArgumentError(`slmkit generate: ${runDir} has no checkpoints yet`);
  const tokenizer = BpeTokenizer.load(path.join(runDir, "tokenizer.json"));
  const config = JSON.parse(fs.readFileSync(path.join(runDir, "config.json"), "utf8"));
  const model = new MiniCPM(config, { device });
  const { tensors } = loadSafetensors(path.join(checkpoint, "model.safetensors"));
  try {
    model.loadStateDict(tensors);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  const prompt = String(values.prompt);
  const promptIds = tokenizer.encode(prompt);
  if (promptIds.length === 0) throw new ArgumentError("slmkit generate: --prompt must not be empty");
  const topK = numberFlag(cmd, "top-k", values["top-k"], { integer: true, min: 0 });
  write(prompt);
  // Decode the whole continuation each time and print what is new, so multi-token characters come out whole.
  const ids: number[] = [];
  let shown = "";
  noGrad(() => {
    model.eval();
    model.generate(promptIds, {
      maxNewTokens: numberFlag(cmd, "max-tokens", values["max-tokens"], { integer: true, min: 0 }),
      temperature: numberFlag(cmd, "temperature", values.temperature, { min: 0 }),
      topK: topK > 0 ? topK : undefined,
      topP: numberFlag(cmd, "top-p", values["top-p"], { min: 0, exclusiveMin: true }),
      seed: numberFlag(cmd, "seed", values.seed, { integer: true, min: 0 }),
      stopTokens: tokenizer.eosId === null ? [] : [tokenizer.eosId],
      onToken: (id) => {
        ids.push(id);
        const text = tokenizer.decode(ids);
        if (!text.endsWith("\uFFFD")) {
          write(text.slice(shown.length));
          shown = text;
        }
      },
    });
  });
  write("\n");
  model.dispose();
}
