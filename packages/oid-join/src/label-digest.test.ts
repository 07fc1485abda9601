import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveShared, needs, SHARED_DIR } from '@oidstream/test-needs';
import { type ImageLabel, imageLabelColumns, toImageLabel } from '@oidstream/oid-labels';
import { ByteKeySet } from './byte-key-set.js';
import { readHeader } from './csv-header.js';
import { LabelDigester } from './label-digest.js';
import { type KeptBatch, LinePrefilter } from './line-prefilter.js';
import { splitQuoteFreeBatch } from './split-batch.js';

const REAL_LABELS = 'oid-real/annotations/derived-annotations-human-imagelabels-boxable.csv';
const BIG_CATS = ['/m/07dm6', '/m/096mb', '/m/0cd4d', '/m/0c29q', '/m/0449p', '/m/04g2r'];

type Event = { line: number; label: ImageLabel } | { line: number; bad: string };

/** What the label pass got before: kept lines split on commas, typed by toImageLabel, in line order. */
function parsed(batch: KeptBatch, file: string, text: Buffer, mids: ByteKeySet): Event[] {
  const header = readHeader(text.subarray(0, text.indexOf(10)), file);
  const cols = imageLabelColumns(header.names, file);
  const rows = splitQuoteFreeBatch(batch, file, header, [{ index: header.require('LabelName'), set: mids }]);
  return rows.map((r) => {
    const label = toImageLabel(r.fields, cols);
    return typeof label === 'string' ? { line: r.line, bad: label } : { line: r.line, label };
  });
}

/** The digest of the same bytes, expanded back: "1" rows as labels, handed-over lines through the same parser. */
function digested(text: Buffer, file: string, mids: ByteKeySet): { events: Event[]; zeros: Record<string, number>; rows: number; kept: number } {
  const header = readHeader(text.subarray(0, text.indexOf(10)), file);
  const cols = imageLabelColumns(header.names, file);
  const d = new LabelDigester({ imageId: cols.ImageID, labelName: cols.LabelName, confidence: cols.Confidence }, mids);
  // In two parts cut at a line start, as a worker gets a file in ranges (line numbers go on from the first).
  const body = text.indexOf(10) + 1;
  const cut = text.indexOf(10, body + Math.floor((text.length - body) / 2)) + 1 || text.length;
  d.scan(text, body, cut);
  d.scan(text.subarray(cut), 0, text.length - cut);
  const r = d.finish();
  const keys = [...mids.keys()];
  const data = Buffer.from(r.data);
  const events: Event[] = [];
  let parsedRows = 0;
  for (let k = 0; k < r.classes.length; k++) {
    if (r.classes[k] >= 0) {
      events.push({ line: r.lines[k] + 2, label: { ImageID: data.toString('latin1', r.offsets[k], r.offsets[k + 1]), LabelName: keys[r.classes[k]], Confidence: 1 } as ImageLabel });
      continue;
    }
    const line = { data: data.subarray(r.offsets[k], r.offsets[k + 1]), lines: [r.lines[k] + 2], offsets: [0] };
    const rows = parsed(line, file, text, mids);
    parsedRows += rows.length;
    events.push(...rows);
  }
  return { events, zeros: Object.fromEntries(keys.map((k, i) => [k, r.zeros[i]]).filter(([, n]) => n)), rows: r.rows + parsedRows, kept: d.kept };
}

function keptLines(text: Buffer, mids: ByteKeySet, labelIndex: number): KeptBatch {
  const body = text.subarray(text.indexOf(10) + 1);
  const f = new LinePrefilter([{ index: labelIndex, keys: mids }], { firstLine: 2 });
  const parts = [f.push(body), f.end()];
  const at = parts[0].data.length;
  return { data: Buffer.concat(parts.map((p) => p.data)), lines: parts.flatMap((p) => p.lines), offsets: [...parts[0].offsets, ...parts[1].offsets.map((o) => o + at)] };
}

/** Compare the digest with the parser on one file's text: same rows in the same order, Confidence-0 rows counted. */
function compare(text: Buffer, mids: ByteKeySet, labelIndex = 2): { events: Event[]; zeros: Record<string, number> } {
  const batch = keptLines(text, mids, labelIndex);
  const before = parsed(batch, 'f.csv', text, mids);
  const after = digested(text, 'f.csv', mids);
  expect(after.kept).toBe(batch.lines.length); // the lines the pre-filter keeps
  const isZero = (e: Event): boolean => 'label' in e && e.label.Confidence === 0;
  // Source is not part of the digest (the label pass does not read it).
  const strip = (e: Event): Event => ('label' in e ? { line: e.line, label: { ...e.label, Source: '' } } : e);
  expect(after.events.map(strip)).toEqual(before.filter((e) => !isZero(e)).map(strip));
  const zeros: Record<string, number> = {};
  for (const e of before) if (isZero(e) && 'label' in e) zeros[e.label.LabelName] = (zeros[e.label.LabelName] ?? 0) + 1;
  expect(after.zeros).toEqual(zeros);
  expect(after.rows).toBe(before.length); // rows past the exact LabelName check, digested or parsed
  return { events: before, zeros };
}

describe.skipIf(needs('../shared/oid-real', haveShared(REAL_LABELS)))('LabelDigester against the parser on real OID image labels (needs ../shared/oid-real)', () => {
  const real = (): Buffer => readFileSync(path.join(SHARED_DIR, REAL_LABELS));

  it('takes the lines the pre-filter keeps and gives the same selecting rows, in order, on the real file as it is', () => {
    const { events } = compare(real(), new ByteKeySet(BIG_CATS));
    expect(events.length).toBe(35);
  });

  it('hands over every line that is not a plain 0/1 row, and the parser types it as before', () => {
    const lines = real().toString('utf8').split('\n');
    const [header, first, second, third] = lines;
    const [id, source, mid] = first.split(',');
    const edited = [
      header,
      ...lines.slice(1).filter(Boolean).map((l, i) => (i % 3 === 0 ? l.replace(/,1$/, ',0') : l)), // negatives
      `${id},${source},${mid},0.7`, // fractional (machine-like)
      `${id},${source},${mid},1.0`, // 1 written otherwise
      `,${source},${mid},1`, // empty ImageID: bad row
      `${id},${source},${mid},maybe`, // bad Confidence
      `${id},${source},${mid}`, // too few fields
      `${id}é,${source},${mid},1`, // non-ASCII ImageID
      `${second}\r`, // CRLF
      `${third},extra`, // an extra field
      '', // blank lines
      '\r',
      `${id},${source},/m/0dzf4,1`, // another class: dropped by the pre-filter
      `${id},${source},${mid},1`, // the last line without a newline
    ].join('\n');
    const { events, zeros } = compare(Buffer.from(edited), new ByteKeySet(BIG_CATS));
    expect(events.filter((e) => 'bad' in e)).toHaveLength(3);
    expect(Object.values(zeros).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  });

  it('maps columns by the header (another column order)', () => {
    const rows = real().toString('utf8').trim().split('\n').map((l) => l.split(','));
    const reordered = rows.map(([i, s, m, c]) => [c, m, s, i].join(',')).join('\r\n') + '\r\n';
    compare(Buffer.from(reordered), new ByteKeySet(BIG_CATS), 1);
  });
});
