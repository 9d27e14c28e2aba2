import { ArgumentError } from "../errors.js";
import { KERNELS, type KernelName } from "./table.js";

/** Attributes as runKernel receives them: by name, in any order (KernelAttrs gives each kernel's type). */
export type AttrValues = Readonly<Record<string, number | boolean | ArrayLike<number>>>;

function isNumberList(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/**
 * One kernel's attributes in wire order, from the op table: the fixed ones, then the variable-length
 * list, if any. Built once per kernel; a call reads only these cached arrays.
 */
export class AttrLayout {
  /** Every name, to count the keys given and to list them in errors. */
  private readonly all: readonly string[];

  constructor(
    private readonly kernel: KernelName,
    private readonly fixed: readonly string[],
    private readonly list: string | undefined,
  ) {
    this.all = list === undefined ? fixed : [...fixed, list];
  }

  /** How many numbers the attributes take on the wire: one per fixed attribute, one per list entry. */
  wireLength(op: string, attrs: AttrValues | undefined): number {
    if (this.list === undefined) return this.fixed.length;
    const values = attrs?.[this.list];
    if (!isNumberList(values)) throw this.error(op, `needs attribute ${this.list} (a list of numbers)`);
    return this.fixed.length + values.length;
  }

  /**
   * Writes the attributes into `buf` from `at` in wire order, a boolean as 1 or 0, and returns the
   * position after them. A missing or non-numeric attribute, or one the kernel does not take, is an
   * ArgumentError naming the op, the kernel and the attribute (call wireLength first: it checks the list).
   */
  write(op: string, attrs: AttrValues | undefined, buf: Float64Array, at: number): number {
    const { fixed, list } = this;
    let p = at;
    for (let i = 0; i < fixed.length; i++) {
      const value = attrs?.[fixed[i]!];
      if (typeof value === "number") buf[p++] = value;
      else if (typeof value === "boolean") buf[p++] = value ? 1 : 0;
      else
        throw this.error(
          op,
          `needs attribute ${fixed[i]} (a number), got ${value === undefined ? "none" : String(value)}`,
        );
    }
    if (list !== undefined) {
      const values = attrs![list] as ArrayLike<number>;
      for (let i = 0; i < values.length; i++) buf[p++] = values[i]!;
    }
    // Every known name is present, so more keys than names means one the kernel does not take.
    let given = 0;
    for (const _ in attrs) given++;
    if (given > this.all.length) this.rejectUnknown(op, attrs!);
    return p;
  }

  // The slow path: for-in above also counts inherited keys, which are not the caller's mistake.
  private rejectUnknown(op: string, attrs: AttrValues): void {
    const unknown = Object.keys(attrs).find((key) => !this.all.includes(key));
    if (unknown !== undefined) throw this.error(op, `has no attribute ${unknown}`);
  }

  private error(op: string, problem: string): ArgumentError {
    const known = this.all.length ? `its attributes are ${this.all.join(", ")}` : "it takes no attributes";
    return new ArgumentError(`${op}: kernel ${this.kernel} ${problem}; ${known}`);
  }
}

const LAYOUTS = new Map<string, AttrLayout>(
  (Object.keys(KERNELS) as KernelName[]).map((kernel) => {
    const names: readonly string[] = KERNELS[kernel].attrs;
    const last = names[names.length - 1];
    const list = last?.endsWith("...") ? last.slice(0, -3) : undefined;
    return [kernel, new AttrLayout(kernel, list === undefined ? names : names.slice(0, -1), list)];
  }),
);

/** The attribute layout of a kernel of the op table. */
export function attrLayout(op: string, kernel: KernelName): AttrLayout {
  const layout = LAYOUTS.get(kernel);
  if (!layout) throw new ArgumentError(`${op}: ${kernel} is not a kernel of the op table (src/ops/table.ts)`);
  return layout;
}
