/** Quotes an identifier (schema name) for SQL text; the only place names enter a statement. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Milliseconds after `now`, as a Date. */
export function addMs(now: Date, ms: number): Date {
  return new Date(now.getTime() + ms);
}
