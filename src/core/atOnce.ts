/**
 * Runs `work` on every item, at most `lanes` at once, in item order per lane; resolves when all
 * are done and rejects with the first error (the lanes still running finish their current item).
 */
export async function forEachAtOnce<T>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, items.length)) }, lane));
}
