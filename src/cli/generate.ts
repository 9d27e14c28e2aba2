// `slmkit generate`: loads a run's tokenizer, config and latest checkpoint and streams sampled text.
import * as fs from "node:fs";
import * as path from "node:path";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { ArgumentError } from "../errors.js";
import { loadSafetensors } from "../io/safetensors.js";
import { MiniCPM } from "../models/minicpm/index.js";
import { noGrad } from "../tensor/graph.js";
import { isJsonObject, readJsonFile } from "../io/json_file.js";
import { latestCheckpoint, naming } from "../train/checkpoint.js";
import { requireDevice } from "./device_check.js";
import { type CommandSpec, deviceFlag, helpText, numberFlag, parseFlags } from "./flags.js";

export const GENERATE_SPEC: CommandSpec = {
  name: "generate",
  usage: "slmkit generate --run runs/<name> [options]",
  description:
    "Loads tokenizer.json, config.json and the latest checkpoint of a run and streams generated text to stdout.",
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
  // Every flag is checked before anything is loaded or printed.
  if (!values.run)
    throw new ArgumentError("slmkit generate: --run <run folder> is required (see slmkit generate --help)");
  const runDir = String(values.run);
  const maxTokens = numberFlag(cmd, "max-tokens", values["max-tokens"], { integer: true, min: 0 });
  const temperature = numberFlag(cmd, "temperature", values.temperature, { min: 0 });
  const topK = numberFlag(cmd, "top-k", values["top-k"], { integer: true, min: 0 });
  const topP = numberFlag(cmd, "top-p", values["top-p"], { min: 0, exclusiveMin: true, max: 1 });
  const seed = numberFlag(cmd, "seed", values.seed, { integer: true, min: 0 });
  const device = deviceFlag(cmd, values.device);
  for (const file of ["tokenizer.json", "config.json"]) {
    if (!fs.existsSync(path.join(runDir, file)))
      throw new ArgumentError(
        `slmkit generate: --run ${runDir}: ${path.join(runDir, file)} does not exist; is it a folder written by slmkit train?`,
      );
  }
  const checkpoint = values.checkpoint ? String(values.checkpoint) : latestCheckpoint(runDir);
  if (!checkpoint) throw new ArgumentError(`slmkit generate: --run ${runDir} has no checkpoints yet`);
  if (!fs.existsSync(path.join(checkpoint, "model.safetensors")))
    throw new ArgumentError(`slmkit generate: --checkpoint ${checkpoint} holds no model.safetensors`);
  const prompt = String(values.prompt);
  const tokenizer = BpeTokenizer.load(path.join(runDir, "tokenizer.json"));
  const promptIds = tokenizer.encode(prompt);
  if (promptIds.length === 0) throw new ArgumentError("slmkit generate: --prompt must not be empty");
  const configFile = path.join(runDir, "config.json");
  const config = readJsonFile(configFile, "slmkit generate");
  if (
    !isJsonObject(config) ||
    !Number.isSafeInteger(config.max_position_embeddings) ||
    (config.max_position_embeddings as number) < 1
  ) {
    throw new ArgumentError(
      `slmkit generate: ${configFile} is damaged: "max_position_embeddings" must be a whole number >= 1`,
    );
  }
  const room = (config.max_position_embeddings as number) - promptIds.length;
  if (maxTokens > room) {
    throw new ArgumentError(
      `slmkit generate: --max-tokens ${maxTokens} with a --prompt of ${promptIds.length} tokens exceeds the model's max_position_embeddings ` +
        `(${config.max_position_embeddings}); give --max-tokens ${Math.max(0, room)} or less`,
    );
  }
  requireDevice(cmd, device);

  const model = naming(configFile, () => new MiniCPM(config as never, { device }));
  try {
    const { tensors } = loadSafetensors(path.join(checkpoint, "model.safetensors"));
    try {
      naming(path.join(checkpoint, "model.safetensors"), () => model.loadStateDict(tensors));
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
    write(prompt);
    // Decode the whole continuation each time and print what is new, so multi-token characters come out whole.
    const ids: number[] = [];
    let shown = "";
    noGrad(() => {
      model.eval();
      model.generate(promptIds, {
        maxNewTokens: maxTokens,
        temperature,
        topK: topK > 0 ? topK : undefined,
        topP,
        seed,
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
  } finally {
    model.dispose();
  }
}
