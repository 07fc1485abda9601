import { foldName } from './class-descriptions.js';

/** Optimal-string-alignment distance (Levenshtein + adjacent transpositions), bounded by `max` for speed. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The names closest to `query` for a "did you mean" hint: names that contain the query as a word prefix come first
 * (`Jaguar` → `Jaguar (Animal)`), then small edit distances (`Tigr` → `Tiger`).
 */
export function closestNames(query: string, names: Iterable<string>, limit = 5): string[] {
  const q = foldName(query);
  if (q === '') return [];
  const max = Math.max(2, Math.floor(q.length / 3));
  const scored: { name: string; score: number }[] = [];
  for (const name of names) {
    const n = foldName(name);
    let score: number;
    if (n.startsWith(`${q} (`)) score = 0; // the v4 → v5 renames: `Jaguar` → `Jaguar (Animal)`
    else if (n.startsWith(q) || n.includes(` ${q}`) || n.includes(`(${q}`)) score = (n.length - q.length) / 100;
    else if (q.length >= 4 && n.includes(q)) score = 0.5 + (n.length - q.length) / 100;
    else if (n.length >= 3 && ` ${q} `.includes(` ${n} `)) score = 0.7; // `Snow leopard` → `Leopard`
    else {
      const d = editDistance(q, n, max);
      if (d > max) continue;
      score = d;
    }
    scored.push({ name, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.length - b.name.length || (a.name < b.name ? -1 : 1));
  return scored.slice(0, limit).map((s) => s.name);
}
