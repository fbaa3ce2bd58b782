/**
 * Runs `statement` — one bounded write (at most `batch` rows, e.g. `… LIMIT $n FOR UPDATE SKIP LOCKED`) that
 * returns how many rows it touched — again while it fills its batch, spending one of `budget.statements` per
 * run and stopping when they are spent: periodic clean-ups stay bounded in time and lock footprint. A budget
 * can be shared by several calls. Returns the rows touched.
 */
export async function whileBatchesFill(batch: number, budget: { statements: number }, statement: () => Promise<number>): Promise<number> {
  let rows = 0;
  while (budget.statements > 0) {
    budget.statements--;
    const n = await statement();
    rows += n;
    if (n < batch) break;
  }
  return rows;
}
