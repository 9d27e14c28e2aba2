import { ArgumentError } from "../errors.js";

/** Anything that can be disposed and found inside a tidy() result. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

/** Called by every new tensor: the innermost tidy scope will dispose it unless it escapes. */
export function track(t: Disposable): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Removes a tensor from every open scope so no tidy() disposes it. */
export function untrack(t: Disposable): void {
  for (const s of scopes) s.delete(t);
}

/**
 * Keeps `t` alive past the enclosing tidy() scopes (it is disposed only by `dispose()` or the GC).
 *
 * @example
 * let w; tidy(() => { w = keep(randn([4, 4])); });
 */
export function keep<T extends Disposable>(t: T): T {
  untrack(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, seen: Set<unknown>): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as Disposable).dispose === "function" && "isDisposed" in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collect(v, out, seen);
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (directly, or inside
 * arrays, Maps and plain objects), which move to the enclosing scope. Gradients written by backward()
 * and tensors passed to keep() survive.
 *
 * @example
 * const loss = tidy(() => crossEntropy(model(x), y)); // intermediates are freed here
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new ArgumentError("tidy: expected a function");
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw new ArgumentError("tidy: fn must be synchronous (it returned a Promise)");
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const escaping = new Set<Disposable>();
  collect(result, escaping, new Set());
  for (const t of scope) if (!escaping.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of escaping) if (scope.has(t)) parent.add(t);
  return result;
}

/**
 * Runs an op body whose kernel may still reject its data (an index out of range, say): when it throws,
 * every tensor it had created is disposed, so a failed call leaks nothing even outside tidy(); when it
 * returns, its tensors belong to the enclosing scope as if created there.
 */
export function cleanupOnError<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  try {
    const result = fn();
    scopes.pop();
    const parent = scopes[scopes.length - 1];
    if (parent) for (const t of scope) if (!t.isDisposed) parent.add(t);
    return result;
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
}
