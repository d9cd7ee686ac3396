/** Plain code-unit order of two strings: the one order every sorted output of kube-xds uses. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
