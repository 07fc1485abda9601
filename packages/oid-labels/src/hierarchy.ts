import { OidLabelsError } from './errors.js';

/** A node of `bbox_labels_600_hierarchy.json` as OID writes it. */
export interface HierarchyNode {
  LabelName: string;
  Subcategory?: HierarchyNode[];
  Part?: HierarchyNode[];
}

export interface DescendantOptions {
  /** Include the class itself (default false: `--under Carnivore` lists what is below Carnivore). */
  includeSelf?: boolean;
  /** Follow `Part` (part-of) edges as well as `Subcategory` (default false). */
  includeParts?: boolean;
}

/**
 * The OID class hierarchy as a DAG: a MID may appear at several places in the JSON tree (several parents); all its
 * occurrences are merged into one node whose children are the union of the occurrences' children.
 */
export class ClassHierarchy {
  readonly root: string;
  private readonly subs = new Map<string, string[]>();
  private readonly parts = new Map<string, string[]>();
  private readonly parentsOf = new Map<string, string[]>();

  constructor(tree: HierarchyNode) {
    if (!tree || typeof tree !== 'object' || typeof tree.LabelName !== 'string') {
      throw new OidLabelsError('BAD_HIERARCHY', 'hierarchy root has no LabelName');
    }
    this.root = tree.LabelName;
    this.ensure(tree.LabelName);
    // Document order (children pushed reversed), so parent lists read as in the file.
    const stack: HierarchyNode[] = [tree];
    while (stack.length) {
      const node = stack.pop()!;
      const next: HierarchyNode[] = [];
      for (const [key, edges] of [['Subcategory', this.subs], ['Part', this.parts]] as const) {
        const kids = node[key];
        if (kids === undefined) continue;
        if (!Array.isArray(kids)) throw new OidLabelsError('BAD_HIERARCHY', `${node.LabelName}: ${key} is not an array`);
        for (const kid of kids) {
          if (!kid || typeof kid.LabelName !== 'string') throw new OidLabelsError('BAD_HIERARCHY', `${node.LabelName}: a ${key} entry has no LabelName`);
          this.ensure(kid.LabelName);
          addUnique(edges.get(node.LabelName)!, kid.LabelName);
          if (key === 'Subcategory') addUnique(this.parentsOf.get(kid.LabelName)!, node.LabelName);
          next.push(kid);
        }
      }
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
    }
  }

  private ensure(mid: string): void {
    if (!this.subs.has(mid)) {
      this.subs.set(mid, []);
      this.parts.set(mid, []);
      this.parentsOf.set(mid, []);
    }
  }

  has(mid: string): boolean {
    return this.subs.has(mid);
  }

  /** Every MID in the hierarchy, root included. */
  labelNames(): IterableIterator<string> {
    return this.subs.keys();
  }

  children(mid: string, options: { includeParts?: boolean } = {}): readonly string[] {
    const subs = this.subs.get(mid) ?? [];
    return options.includeParts ? [...subs, ...(this.parts.get(mid) ?? []).filter((p) => !subs.includes(p))] : subs;
  }

  /** Subcategory parents (several for a multi-parent class). */
  parents(mid: string): readonly string[] {
    return this.parentsOf.get(mid) ?? [];
  }

  /** Descendants in depth-first pre-order, each once however many paths lead to it. */
  descendants(mid: string, options: DescendantOptions = {}): string[] {
    if (!this.has(mid)) throw new OidLabelsError('NOT_IN_HIERARCHY', `${mid} is not in the class hierarchy`);
    const seen = new Set<string>([mid]);
    const out: string[] = options.includeSelf ? [mid] : [];
    const visit = (node: string): void => {
      for (const kid of this.children(node, options)) {
        if (seen.has(kid)) continue;
        seen.add(kid);
        out.push(kid);
        visit(kid);
      }
    };
    visit(mid);
    return out;
  }

  /** Every ancestor (Subcategory edges), nearest first, each once. */
  ancestors(mid: string): string[] {
    const seen = new Set<string>();
    const queue = [...this.parents(mid)];
    const out: string[] = [];
    while (queue.length) {
      const p = queue.shift()!;
      if (seen.has(p)) continue;
      seen.add(p);
      out.push(p);
      queue.push(...this.parents(p));
    }
    return out;
  }
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** Parse `bbox_labels_600_hierarchy.json` text (CRLF or LF) or an already-parsed tree. */
export function parseHierarchy(input: string | Uint8Array | HierarchyNode, options: { source?: string } = {}): ClassHierarchy {
  const source = options.source ?? 'hierarchy';
  let tree: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      tree = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      throw new OidLabelsError('BAD_HIERARCHY', `${source}: not valid JSON (${(err as Error).message})`, undefined, { cause: err });
    }
  }
  try {
    return new ClassHierarchy(tree as HierarchyNode);
  } catch (err) {
    if (err instanceof OidLabelsError) throw new OidLabelsError(err.code, `${source}: ${err.message}`);
    throw err;
  }
}
