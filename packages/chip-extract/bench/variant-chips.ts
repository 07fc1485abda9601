// `oidstream chips` as the CLI runs it (the pipeline's chipsStage), in its own process so peak RSS is its own.
import { chipsStage } from '../../pipeline/src/stages/chips.js';

const [boxes, images, out] = process.argv.slice(2);
const t0 = performance.now();
const r = await chipsStage({ boxes, images, out, chipFiles: true });
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ chips: r.chips, errors: r.errors, seconds, imageBytesRead: r.imageBytesRead }) + '\n');
