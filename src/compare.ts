/** Plain code-unit order of two strings: the one order every sorted output of kube-xds uses. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts in place like `Array.prototype.sort` (stable), but sorts short arrays by insertion:
 * the built-in sort allocates a work area on every call, which adds up over tens of thousands of
 * short lists (a ClusterLoadAssignment's endpoints per zone).
 */
export function sortInPlace<T>(list: T[], compare: (a: T, b: T) => number): T[] {
  if (list.length > 16) return list.sort(compare);
  for (let i = 1; i < list.length; i++) {
    const item = list[i] as T;
    let j = i - 1;
    while (j >= 0 && compare(list[j] as T, item) > 0) {
      list[j + 1] = list[j] as T;
      j--;
    }
    list[j + 1] = item;
  }
  return list;
}

/**
 * Sorts strings in place by code unit, as `sort(compareText)` does. Lists of up to 64 sort by
 * binary insertion: the built-in sort allocates its work areas on every call (about 760 bytes for a
 * short list), and a translation sorts tens of thousands of short lists. Longer lists use the
 * built-in sort without a comparator, which compares strings by UTF-16 code units with no call per
 * comparison.
 */
export function sortTexts(list: string[]): string[] {
  if (list.length > 64) return list.sort();
  for (let i = 1; i < list.length; i++) {
    const item = list[i] as string;
    if ((list[i - 1] as string) <= item) continue;
    let low = 0;
    let high = i - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((list[middle] as string) > item) high = middle;
      else low = middle + 1;
    }
    for (let j = i; j > low; j--) list[j] = list[j - 1] as string;
    list[low] = item;
  }
  return list;
}
