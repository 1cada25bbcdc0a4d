/**
 * Reads a claim by name or dotted path. A literal key wins over a path, and each prefix that is a
 * key is tried, so names that contain dots work: `kubernetes.io.namespace` reads
 * `claims["kubernetes.io"]["namespace"]`.
 */
export function readClaim(claims: unknown, path: string): unknown {
  if (!isRecord(claims)) return undefined;
  if (Object.hasOwn(claims, path)) return claims[path];
  for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    if (!Object.hasOwn(claims, head)) continue;
    const found = readClaim(claims[head], path.slice(dot + 1));
    if (found !== undefined) return found;
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
