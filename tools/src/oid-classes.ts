/**
 * The classes the generator uses: real OID MIDs and v5/v6 display names (OID annotations are CC BY 4.0, Google), a
 * subset of the 601 boxable classes: the whole Carnivore subtree (17 classes, the six big cats among them, Teddy bear
 * also under Toy: a multi-parent node as in the real hierarchy) plus distractors.
 */
export interface GenClass {
  LabelName: string;
  DisplayName: string;
}

export const GEN_CLASSES: readonly GenClass[] = [
  ['/m/0138tl', 'Toy'], ['/m/015p6', 'Bird'], ['/m/0199g', 'Bicycle'], ['/m/01dws', 'Bear'], ['/m/01dxs', 'Brown bear'],
  ['/m/01g317', 'Person'], ['/m/01lrl', 'Carnivore'], ['/m/01prls', 'Land vehicle'], ['/m/01yrx', 'Cat'], ['/m/0306r', 'Fox'],
  ['/m/03bj1', 'Panda'], ['/m/03bk1', 'Giraffe'], ['/m/03k3r', 'Horse'], ['/m/0449p', 'Jaguar (Animal)'], ['/m/04g2r', 'Lynx'],
  ['/m/04rky', 'Mammal'], ['/m/05s2s', 'Plant'], ['/m/0633h', 'Polar bear'], ['/m/06l9r', 'Red panda'], ['/m/07dm6', 'Tiger'],
  ['/m/07j7r', 'Tree'], ['/m/07yv9', 'Vehicle'], ['/m/0898b', 'Zebra'], ['/m/096mb', 'Lion'], ['/m/09kx5', 'Deer'],
  ['/m/0bt9lr', 'Dog'], ['/m/0bwd_0j', 'Elephant'], ['/m/0c29q', 'Leopard'], ['/m/0cd4d', 'Cheetah'], ['/m/0cgh4', 'Building'],
  ['/m/0cn6p', 'Otter'], ['/m/0dq75', 'Raccoon'], ['/m/0dv5r', 'Camera'], ['/m/0dzct', 'Human face'], ['/m/0jbk', 'Animal'],
  ['/m/0k4j', 'Car'], ['/m/0k65p', 'Human hand'], ['/m/0kmg4', 'Teddy bear'],
].map(([LabelName, DisplayName]) => ({ LabelName, DisplayName }));

export const BIG_CAT_MIDS = ['/m/07dm6', '/m/096mb', '/m/0cd4d', '/m/0c29q', '/m/0449p', '/m/04g2r'] as const;

/** Classes that get boxes (leaves and a few inner nodes that OID also boxes). Big cats first. */
export const BOXED_MIDS: readonly string[] = [
  ...BIG_CAT_MIDS,
  '/m/0bt9lr', '/m/01yrx', '/m/0306r', '/m/01dxs', '/m/0633h', '/m/03bj1', '/m/0kmg4', '/m/06l9r', '/m/0cn6p', '/m/0dq75',
  '/m/03k3r', '/m/0898b', '/m/03bk1', '/m/0bwd_0j', '/m/09kx5', '/m/015p6', '/m/01g317', '/m/0dzct', '/m/0k65p', '/m/0k4j',
  '/m/0199g', '/m/07j7r', '/m/0cgh4', '/m/0dv5r',
];

export interface GenHierarchyNode {
  LabelName: string;
  Subcategory?: GenHierarchyNode[];
  Part?: GenHierarchyNode[];
}

const leaf = (LabelName: string): GenHierarchyNode => ({ LabelName });
const node = (LabelName: string, kids: string[] | GenHierarchyNode[]): GenHierarchyNode => ({
  LabelName,
  Subcategory: kids.map((k) => (typeof k === 'string' ? leaf(k) : k)),
});

/** Same shape as the real bbox_labels_600_hierarchy.json (root /m/0bl9f, Subcategory/Part arrays). */
export const GEN_HIERARCHY: GenHierarchyNode = node('/m/0bl9f', [
  node('/m/0138tl', ['/m/0kmg4']),
  { LabelName: '/m/01g317', Part: [leaf('/m/0dzct'), leaf('/m/0k65p')] },
  leaf('/m/0cgh4'),
  leaf('/m/0dv5r'),
  node('/m/05s2s', ['/m/07j7r']),
  node('/m/07yv9', [node('/m/01prls', ['/m/0199g', '/m/0k4j'])]),
  node('/m/0jbk', [
    leaf('/m/015p6'),
    node('/m/04rky', [
      node('/m/01lrl', [
        node('/m/01dws', ['/m/01dxs', '/m/03bj1', '/m/0633h', '/m/0kmg4']),
        ...['/m/01yrx', '/m/0306r', '/m/0449p', '/m/04g2r', '/m/06l9r', '/m/07dm6', '/m/096mb', '/m/0bt9lr', '/m/0c29q', '/m/0cd4d', '/m/0cn6p', '/m/0dq75'].map(leaf),
      ]),
      ...['/m/03bk1', '/m/03k3r', '/m/0898b', '/m/09kx5', '/m/0bwd_0j'].map(leaf),
    ]),
  ]),
]);

/** Ancestors of a boxed class in GEN_HIERARCHY (real OID image labels also carry them as positives). */
export function ancestorsOf(mid: string): readonly string[] {
  let found = ANCESTORS.get(mid);
  if (!found) ANCESTORS.set(mid, (found = findAncestors(mid)));
  return found;
}
const ANCESTORS = new Map<string, readonly string[]>();

function findAncestors(mid: string): string[] {
  const path: string[] = [];
  const walk = (n: GenHierarchyNode, trail: string[]): boolean => {
    if (n.LabelName === mid) {
      path.push(...trail.filter((m) => m !== '/m/0bl9f'));
      return true;
    }
    for (const k of n.Subcategory ?? []) if (walk(k, [...trail, n.LabelName])) return true;
    return false;
  };
  walk(GEN_HIERARCHY, []);
  return path.reverse();
}
