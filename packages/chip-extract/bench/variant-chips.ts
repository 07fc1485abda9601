// `oidstream chips` as the CLI runs it (the pipeline's chipsStage), in its own process so peak RSS is its own.
// Loaded by computed path: chip-extract must not depend on pipeline (packages depend downward only).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const stage = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../pipeline/src/stages/chips.ts');
const { chipsStage } = (await import(pathToFileURL(stage).href)) as {
  chipsStage: (o: { boxes: string; images: string; out: string; chipFiles: boolean }) => Promise<{ chips: number; errors: number; imageBytesRead: number }>;
};
const [boxes, images, out] = process.argv.slice(2);
const t0 = performance.now();
const r = await chipsStage({ boxes, images, out, chipFiles: true });
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ chips: r.chips, errors: r.errors, seconds, imageBytesRead: r.imageBytesRead }) + '\n');
