import { ArgumentError } from "../errors.js";
import { KERNELS, type KernelName } from "./table.js";

/** Attributes as runKernel receives them: by name, in any order (KernelAttrs gives each kernel's type). */
export type AttrValues = Readonly<Record<string, number | boolean | ArrayLike<number>>>;

/** A kernel's attribute names in wire order: the fixed ones, then the variable-length list, if any. */
interface AttrOrder {
  readonly fixed: readonly string[];
  readonly list: string | undefined;
  /** Every name, for the error that lists them. */
  readonly all: readonly string[];
}

// Worked out once from the table at load, so a call only reads cached arrays.
const ORDERS = new Map<string, AttrOrder>(
  Object.entries(KERNELS).map(([kernel, spec]): [string, AttrOrder] => {
    const names: readonly string[] = spec.attrs;
    const last = names[names.length - 1];
    const list = last?.endsWith("...") ? last.slice(0, -3) : undefined;
    const fixed = list === undefined ? names : names.slice(0, -1);
    return [kernel, { fixed, list, all: list === undefined ? fixed : [...fixed, list] }];
  }),
);

function orderOf(op: string, kernel: string): AttrOrder {
  const order = ORDERS.get(kernel);
  if (!order) throw new ArgumentError(`${op}: ${kernel} is not a kernel of the op table (src/ops/table.ts)`);
  return order;
}

function attrError(op: string, kernel: string, order: AttrOrder, problem: string): ArgumentError {
  const known = order.all.length ? `its attributes are ${order.all.join(", ")}` : "it takes no attributes";
  return new ArgumentError(`${op}: kernel ${kernel} ${problem}; ${known}`);
}

function isNumberList(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/**
 * How many numbers a kernel's attributes take on the wire, after checking them against the op table:
 * an attribute that is missing, not a number (or list) or unknown to the kernel is an ArgumentError
 * naming the op, the kernel and the attribute.
 */
export function attrLength(op: string, kernel: KernelName, attrs: AttrValues | undefined): number {
  const order = orderOf(op, kernel);
  const { fixed, list } = order;
  for (let i = 0; i < fixed.length; i++) {
    const value = attrs?.[fixed[i]!];
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw attrError(op, kernel, order, `needs attribute ${fixed[i]} (a number), got ${value === undefined ? "none" : String(value)}`);
    }
  }
  let length = fixed.length;
  if (list !== undefined) {
    const values = attrs?.[list];
    if (!isNumberList(values)) throw attrError(op, kernel, order, `needs attribute ${list} (a list of numbers)`);
    length += values.length;
  }
  // Every known name is present, so any extra key is one the kernel does not take.
  let given = 0;
  for (const key in attrs) if (Object.hasOwn(attrs, key)) given++;
  if (given !== order.all.length) {
    const unknown = Object.keys(attrs!).find((key) => !order.all.includes(key));
    throw attrError(op, kernel, order, `has no attribute ${unknown}`);
  }
  return length;
}

/**
 * Writes checked attributes (see attrLength) into `buf` from `at`, in the table's order, a boolean as
 * 1 or 0 and a list's numbers in turn; returns the position after them.
 */
export function writeAttrs(kernel: KernelName, attrs: AttrValues | undefined, buf: Float64Array, at: number): number {
  const { fixed, list } = ORDERS.get(kernel)!;
  let p = at;
  for (let i = 0; i < fixed.length; i++) buf[p++] = Number(attrs![fixed[i]!]);
  if (list !== undefined) {
    const values = attrs![list] as ArrayLike<number>;
    for (let i = 0; i < values.length; i++) buf[p++] = values[i]!;
  }
  return p;
}
