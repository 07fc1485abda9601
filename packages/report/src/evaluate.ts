/**
 * Agreement of a model's ImageNet prediction with the OID label of the box.
 *
 * Each of the six OID big cats has its own ImageNet synset. "exact" agreement means the model named that synset.
 * "family" agreement also accepts the two close relatives ImageNet has but OID does not (snow leopard, cougar):
 * a spotted or tawny cat called snow leopard or cougar is a reasonable answer for a box labelled with a big cat,
 * while calling a lion a tiger is not. The report shows both; the headline figure is exact.
 */

export const BIG_CAT_WNID: Readonly<Record<string, string>> = {
  '/m/07dm6': 'n02129604', // Tiger → tiger
  '/m/096mb': 'n02129165', // Lion → lion
  '/m/0cd4d': 'n02130308', // Cheetah → cheetah
  '/m/0c29q': 'n02128385', // Leopard → leopard
  '/m/0449p': 'n02128925', // Jaguar (Animal) → jaguar
  '/m/04g2r': 'n02127052', // Lynx → lynx
};

export const FAMILY_WNIDS: readonly string[] = ['n02128757' /* snow leopard */, 'n02125311' /* cougar */];

export interface Top5Entry {
  wnid: string;
  label: string;
  score: number;
}

export interface PredictionRow {
  chip_id: string;
  LabelName: string;
  DisplayName: string;
  [column: string]: unknown;
}

export interface ModelAgreement {
  model: string;
  /** Chips whose OID label has an ImageNet synset (the denominator). */
  evaluated: number;
  /** Chips whose OID label has no ImageNet synset (not counted). */
  notEvaluable: number;
  top1: number;
  top5: number;
  top1Family: number;
  top5Family: number;
  perClass: Record<string, { evaluated: number; top1: number; top5: number; top1Family: number }>;
  /** confusion[DisplayName][predicted top-1 label] = chips */
  confusion: Record<string, Record<string, number>>;
}

/** Model names present in a predictions row: every `<model>_wnid` column. */
export function modelsInColumns(columns: Iterable<string>): string[] {
  const models: string[] = [];
  for (const c of columns) if (c.endsWith('_wnid')) models.push(c.slice(0, -'_wnid'.length));
  return models;
}

export function parseTop5(value: unknown): Top5Entry[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? (parsed as Top5Entry[]) : [];
  } catch {
    return [];
  }
}

/** Streaming accumulator: feed prediction rows one at a time, read the result at the end. */
export class AgreementCounter {
  private readonly acc = new Map<string, ModelAgreement & { counts: { t1: number; t5: number; f1: number; f5: number } }>();

  constructor(readonly models: string[]) {
    for (const model of models) {
      this.acc.set(model, {
        model, evaluated: 0, notEvaluable: 0, top1: 0, top5: 0, top1Family: 0, top5Family: 0,
        perClass: {}, confusion: {}, counts: { t1: 0, t5: 0, f1: 0, f5: 0 },
      });
    }
  }

  add(row: PredictionRow): void {
    const truth = BIG_CAT_WNID[row.LabelName];
    for (const [model, a] of this.acc) {
      const wnid = row[`${model}_wnid`];
      if (typeof wnid !== 'string' || wnid === '') continue; // not classified (error record)
      const predictedLabel = String(row[`${model}_label`] ?? wnid);
      const conf = (a.confusion[row.DisplayName] ??= {});
      conf[predictedLabel] = (conf[predictedLabel] ?? 0) + 1;
      if (!truth) {
        a.notEvaluable++;
        continue;
      }
      const top5 = parseTop5(row[`${model}_top5`]).map((e) => e.wnid);
      if (top5.length === 0) top5.push(wnid);
      const accept = new Set([truth, ...FAMILY_WNIDS]);
      const t1 = wnid === truth;
      const t5 = top5.includes(truth);
      const f1 = accept.has(wnid);
      const f5 = top5.some((w) => accept.has(w));
      a.evaluated++;
      a.counts.t1 += +t1; a.counts.t5 += +t5; a.counts.f1 += +f1; a.counts.f5 += +f5;
      const pc = (a.perClass[row.DisplayName] ??= { evaluated: 0, top1: 0, top5: 0, top1Family: 0 });
      pc.evaluated++; pc.top1 += +t1; pc.top5 += +t5; pc.top1Family += +f1;
    }
  }

  result(): ModelAgreement[] {
    return [...this.acc.values()].map(({ counts, ...a }) => {
      const n = a.evaluated || 1;
      const perClass = Object.fromEntries(Object.entries(a.perClass).map(([k, v]) => {
        const m = v.evaluated || 1;
        return [k, { evaluated: v.evaluated, top1: v.top1 / m, top5: v.top5 / m, top1Family: v.top1Family / m }];
      }));
      return { ...a, perClass, top1: counts.t1 / n, top5: counts.t5 / n, top1Family: counts.f1 / n, top5Family: counts.f5 / n };
    });
  }
}
