import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { writeParquet, type ColumnSpec } from '@oidstream/parquet-io';

/** The box columns of the shared boxes.parquet contract. */
export const BOX_COLUMNS: ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING' }, { name: 'Source', type: 'STRING' }, { name: 'LabelName', type: 'STRING' },
  { name: 'Confidence', type: 'DOUBLE' }, { name: 'XMin', type: 'DOUBLE' }, { name: 'XMax', type: 'DOUBLE' },
  { name: 'YMin', type: 'DOUBLE' }, { name: 'YMax', type: 'DOUBLE' }, { name: 'IsOccluded', type: 'INT32' },
  { name: 'IsTruncated', type: 'INT32' }, { name: 'IsGroupOf', type: 'INT32' }, { name: 'IsDepiction', type: 'INT32' },
  { name: 'IsInside', type: 'INT32' }, { name: 'DisplayName', type: 'STRING' },
];

const CLASSES = [
  { LabelName: '/m/07dm6', DisplayName: 'Tiger', wnid: 'n02129604', label: 'tiger', color: { r: 230, g: 120, b: 20 } },
  { LabelName: '/m/096mb', DisplayName: 'Lion', wnid: 'n02129165', label: 'lion', color: { r: 200, g: 170, b: 90 } },
  { LabelName: '/m/0c29q', DisplayName: 'Leopard', wnid: 'n02128385', label: 'leopard', color: { r: 180, g: 140, b: 60 } },
];

/**
 * A small run directory as the stages write it: boxes.parquet, chips.parquet (real JPEG chips cut with sharp),
 * predictions.parquet for one model, labels-summary.json and errors.jsonl. Every third Leopard chip is predicted
 * as jaguar, one Lion as cougar, the rest right: known agreement figures for the assertions.
 */
export async function writeRunDirFixture(dir: string, boxesPerClass = 4): Promise<{ chips: number; top1: number; top1Family: number }> {
  await mkdir(dir, { recursive: true });
  const boxes: Record<string, unknown>[] = [];
  const chips: Record<string, unknown>[] = [];
  const preds: Record<string, unknown>[] = [];
  let right = 0;
  let family = 0;
  for (const [ci, c] of CLASSES.entries()) {
    for (let i = 0; i < boxesPerClass; i++) {
      const ImageID = (ci * 1000 + i + 1).toString(16).padStart(16, '0');
      const box = {
        ImageID, Source: 'xclick', LabelName: c.LabelName, Confidence: 1,
        XMin: 0.1 + 0.05 * i, XMax: 0.5 + 0.1 * i, YMin: 0.2, YMax: 0.9,
        IsOccluded: 0, IsTruncated: i % 2, IsGroupOf: 0, IsDepiction: 0, IsInside: -1, DisplayName: c.DisplayName,
      };
      boxes.push(box);
      const w = 64 + 8 * i;
      const h = 48 + 4 * i;
      const chip = await sharp({ create: { width: w, height: h, channels: 3, background: c.color } }).jpeg().toBuffer();
      const chip_id = `${ImageID}_0`;
      chips.push({ ...box, chip_id, chip, chip_width: w, chip_height: h, chip_path: `chips/${c.DisplayName}/${chip_id}.jpg` });
      let wnid = c.wnid;
      let label = c.label;
      if (c.DisplayName === 'Leopard' && i % 3 === 0) [wnid, label] = ['n02128925', 'jaguar'];
      if (c.DisplayName === 'Lion' && i === 1) [wnid, label] = ['n02125311', 'cougar'];
      right += +(wnid === c.wnid);
      family += +(wnid === c.wnid || wnid === 'n02125311' || wnid === 'n02128757');
      const top5 = [{ wnid, label, score: 0.7 }, { wnid: c.wnid, label: c.label, score: 0.2 }, { wnid: 'n02123159', label: 'tiger_cat', score: 0.05 }];
      preds.push({
        chip_id, ImageID, LabelName: c.LabelName, DisplayName: c.DisplayName,
        mobilenet_label: label, mobilenet_wnid: wnid, mobilenet_score: 0.7, mobilenet_top5: JSON.stringify(top5),
      });
    }
  }
  await writeParquet(path.join(dir, 'boxes.parquet'), BOX_COLUMNS, boxes);
  await writeParquet(path.join(dir, 'chips.parquet'), [
    ...BOX_COLUMNS, { name: 'chip_id', type: 'STRING' }, { name: 'chip', type: 'BYTE_ARRAY' },
    { name: 'chip_width', type: 'INT32' }, { name: 'chip_height', type: 'INT32' }, { name: 'chip_path', type: 'STRING' },
  ], chips);
  await writeParquet(path.join(dir, 'predictions.parquet'), [
    { name: 'chip_id', type: 'STRING' }, { name: 'ImageID', type: 'STRING' }, { name: 'LabelName', type: 'STRING' },
    { name: 'DisplayName', type: 'STRING' }, { name: 'mobilenet_label', type: 'STRING' }, { name: 'mobilenet_wnid', type: 'STRING' },
    { name: 'mobilenet_score', type: 'DOUBLE' }, { name: 'mobilenet_top5', type: 'STRING' },
  ], preds);
  await writeFile(path.join(dir, 'labels-summary.json'), JSON.stringify({
    classes: CLASSES.map((c, i) => ({ LabelName: c.LabelName, DisplayName: c.DisplayName, positive: 10 + i, negative: 3 * i + 1, images: boxesPerClass, boxes: boxesPerClass })),
  }));
  await writeFile(path.join(dir, 'errors.jsonl'), [
    { stage: 'chips', ImageID: 'ffffffffffffffff', reason: 'IMAGE_DECODE', message: 'premature end of JPEG image' },
    { stage: 'chips', ImageID: 'eeeeeeeeeeeeeeee', reason: 'UNKNOWN_IMAGE', message: 'ImageID not in images.parquet' },
  ].map((e) => JSON.stringify(e)).join('\n') + '\n');
  const n = CLASSES.length * boxesPerClass;
  return { chips: n, top1: right / n, top1Family: family / n };
}
