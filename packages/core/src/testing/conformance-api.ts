/**
 * The test functions a conformance suite needs, described structurally so core never imports a
 * test runner at run time: vitest's (or jest's) `describe`, `it` and `expect` fit these types.
 */
export interface ConformanceTestApi {
  readonly describe: (name: string, fn: () => void) => void;
  readonly it: (name: string, fn: () => Promise<void>) => void;
  readonly expect: (actual: unknown) => ConformanceExpectation;
}

/** The matchers the suites use: a subset every popular `expect` provides. */
export interface ConformanceMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeNull(): void;
  toBeInstanceOf(expected: unknown): void;
  toHaveLength(length: number): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toMatch(expected: RegExp | string): void;
  toContain(item: unknown): void;
}

/** `expect(actual)`: the matchers and their negation. */
export interface ConformanceExpectation extends ConformanceMatchers {
  readonly not: ConformanceMatchers;
}

/** Resolves to the error `promise` rejects with; rejects itself when the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the operation to fail, but it succeeded");
}

let counter = 0;

/**
 * A short id unique in this process and, through its random part, across runs, so a suite can
 * run against a database that keeps earlier tests' rows.
 */
export function uniqueId(prefix: string): string {
  counter++;
  return `${prefix}${globalThis.crypto.randomUUID().slice(0, 8)}${counter.toString(36)}`;
}
