import { ArgumentError } from "../errors.js";
import { Module } from "./module.js";

/**
 * An ordered list of submodules named "0", "1", ... (as PyTorch's nn.ModuleList), so a stack of layers
 * gets parameter names like "layers.3.mlp.up_proj.weight".
 *
 * @example
 * const blocks = new ModuleList([new Linear(8, 8), new Linear(8, 8)]);
 * blocks.at(1).forward(x);
 */
export class ModuleList<M extends Module> extends Module {
  private readonly items: M[];

  constructor(modules: readonly M[]) {
    super();
    this.items = modules.map((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const m = this.items.at(index);
    if (!m) throw new ArgumentError(`ModuleList.at: index ${index} is outside a list of ${this.items.length}`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
