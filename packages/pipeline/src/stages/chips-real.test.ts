import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readParquetRows } from '@oidstream/parquet-io';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { BOX_COLUMNS, cli, real, realBoxesParquet } from '../../test/chips-support.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe.skipIf(needs('../shared/oid-real', existsSync(path.join(real, 'images'))))('pack → chips on real photos (needs ../shared/oid-real)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chips-real-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one chip per box (19), chip size = clamped box in pixels ±1, DuckDB reads identical bytes', async () => {
    const imagesParquet = path.join(dir, 'images.parquet');
    const boxesParquet = path.join(dir, 'boxes.parquet');
    const out = path.join(dir, 'out');
    expect(await cli('pack', '--images', path.join(real, 'images'), '--out', imagesParquet)).toBe(0);
    const boxes = await realBoxesParquet(boxesParquet);
    expect(boxes).toHaveLength(19);
    expect(await cli('chips', '--boxes', boxesParquet, '--images', imagesParquet, '--out', out)).toBe(0);

    const chips = [];
    for await (const r of readParquetRows(path.join(out, 'chips.parquet'))) chips.push(r);
    expect(chips).toHaveLength(19);
    expect(readFileSync(path.join(out, 'errors.jsonl'), 'utf8')).toBe('');
    // chip_id: <ImageID>_<n>, n counting the image's boxes in boxes.parquet order
    const seen = new Map<string, number>();
    const expectedIds = boxes.map((b) => {
      const n = seen.get(b.ImageID as string) ?? 0;
      seen.set(b.ImageID as string, n + 1);
      return `${b.ImageID}_${n}`;
    });
    expect(chips.map((c) => c.chip_id).sort()).toEqual(expectedIds.sort());

    for (const c of chips) {
      const meta = await sharp(path.join(real, 'images', `${c.ImageID}.jpg`)).metadata();
      const W = meta.autoOrient.width;
      const H = meta.autoOrient.height;
      const clamp = (v: number) => Math.min(Math.max(v, 0), 1);
      const w = (clamp(c.XMax as number) - clamp(c.XMin as number)) * W;
      const h = (clamp(c.YMax as number) - clamp(c.YMin as number)) * H;
      expect(Math.abs((c.chip_width as number) - w), `${c.chip_id} width`).toBeLessThanOrEqual(1);
      expect(Math.abs((c.chip_height as number) - h), `${c.chip_id} height`).toBeLessThanOrEqual(1);
      const chip = c.chip as Uint8Array;
      const decoded = await sharp(chip).metadata();
      expect([decoded.format, decoded.width, decoded.height]).toEqual(['jpeg', c.chip_width, c.chip_height]);
      // the chip file holds the same bytes, under chips/<DisplayName>/
      expect(c.chip_path).toBe(`chips/${c.DisplayName}/${c.chip_id}.jpg`);
      expect(md5(readFileSync(path.join(out, c.chip_path as string)))).toBe(md5(chip));
      // box columns carried through unchanged
      const box = boxes.find((b) => b.ImageID === c.ImageID && b.XMin === c.XMin && b.YMin === c.YMin)!;
      expect(box).toBeDefined();
      for (const k of Object.keys(box)) expect(c[k], k).toEqual(box[k]);
    }
    expect(readdirSync(path.join(out, 'chips')).sort()).toEqual(['Leopard', 'Lion']);

    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const res = await con.runAndReadAll(
      `SELECT chip_id, md5(chip) AS h, chip_width, chip_height, DisplayName FROM read_parquet('${path.join(out, 'chips.parquet')}') ORDER BY chip_id`,
    );
    const duck = res.getRowObjects();
    expect(duck).toHaveLength(19);
    const byId = new Map(chips.map((c) => [c.chip_id as string, c]));
    for (const d of duck) {
      const c = byId.get(d.chip_id as string)!;
      expect(d.h).toBe(md5(c.chip as Uint8Array));
      expect([d.chip_width, d.chip_height, d.DisplayName]).toEqual([c.chip_width, c.chip_height, c.DisplayName]);
    }
    // DuckDB also reads images.parquet: every packed image byte-identical to its file
    const imgs = (await con.runAndReadAll(`SELECT ImageID, md5(image) AS h FROM read_parquet('${imagesParquet}')`)).getRowObjects();
    expect(imgs).toHaveLength(35);
    for (const i of imgs) expect(i.h).toBe(md5(readFileSync(path.join(real, 'images', `${i.ImageID}.jpg`))));
    con.closeSync();
  });

  it('chip options from the command line: --square --max-side --padding --no-chip-files', async () => {
    const imagesParquet = path.join(dir, 'images.parquet');
    const boxesParquet = path.join(dir, 'boxes.parquet');
    const out = path.join(dir, 'out-square');
    const code = await cli('chips', '--boxes', boxesParquet, '--images', imagesParquet, '--out', out, '--square', '--max-side', '64', '--padding', '5', '--quality', '70', '--no-chip-files');
    expect(code).toBe(0);
    const chips = [];
    for await (const r of readParquetRows(path.join(out, 'chips.parquet'))) chips.push(r);
    expect(chips).toHaveLength(19);
    let square = 0;
    for (const c of chips) {
      const [w, h] = [c.chip_width as number, c.chip_height as number];
      expect(Math.max(w, h)).toBeLessThanOrEqual(64);
      const meta = await sharp(path.join(real, 'images', `${c.ImageID}.jpg`)).metadata();
      const [W, H] = [meta.autoOrient.width, meta.autoOrient.height];
      const side = 1.1 * Math.max(((c.XMax as number) - (c.XMin as number)) * W, ((c.YMax as number) - (c.YMin as number)) * H);
      // square whenever the padded square fits in the image
      if (side <= Math.min(W, H) - 2) {
        expect(Math.abs(w - h), `${c.chip_id}: ${w}×${h}`).toBeLessThanOrEqual(1);
        square++;
      }
    }
    expect(square).toBeGreaterThan(5);
    expect(existsSync(path.join(out, 'chips'))).toBe(false);
  });
});
