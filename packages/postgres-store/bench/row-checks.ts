/**
 * What checking a page's provider data costs (issue 8, section 3): core's `checkPage` (every
 * field, `raw` made storable) plus the raw JSON the store sends, against the old path's one
 * `JSON.stringify` per raw, on 2,500 RunSignUp-shaped rows (~1.6 KB of raw each). Pure CPU, no
 * database. Run: `node --conditions=source --import tsx packages/postgres-store/bench/row-checks.ts`.
 */
import { checkPage, rawJsonText, type Registration } from "@project88/core";
import { makeRegistration, PROVIDER } from "./dataset.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);

function time(label: string, fn: () => void): void {
  fn();
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) fn();
  console.log(`| ${label} | ${((performance.now() - started) / ROUNDS).toFixed(2)} ms |`);
}

const clean: Registration[] = Array.from({ length: 2_500 }, (_, i) => makeRegistration(i));
// One bad row in the page: the slow path runs for it alone.
const oneBad = clean.map((r, i) =>
  i === 1_000 ? { ...r, dob: "0000-00-00", firstName: "x\u0000", raw: { ...(r.raw as object), note: "\u0000" } } : r,
);

console.log(`row checks, 2,500 rows a page, mean of ${ROUNDS} rounds, Node ${process.version}\n`);
console.log("| work per page | time |\n|---|---:|");
time("old path: JSON.stringify of every raw", () => {
  for (const r of clean) JSON.stringify(r.raw);
});
time("checkPage + rawJsonText, clean page", () => {
  const page = checkPage({ provider: PROVIDER, registrations: clean });
  for (const r of page.registrations) rawJsonText(r.raw);
});
time("checkPage + rawJsonText, one bad row", () => {
  const page = checkPage({ provider: PROVIDER, registrations: oneBad });
  for (const r of page.registrations) rawJsonText(r.raw);
});
