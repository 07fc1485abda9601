import type { Command } from 'commander';
import { cliProgressSink, Progress } from '../progress.js';

export function registerPack(program: Command): void {
  program
    .command('pack')
    .description('Pack a folder of <ImageID>.jpg files into images.parquet (ImageID, Subset, Rotation, image)')
    .requiredOption('--images <dir>', 'folder of <ImageID>.jpg files')
    .option('--rotation <csv>', 'OID *-images-with-rotation.csv (fills Subset and Rotation)')
    .requiredOption('--out <file>', 'output images.parquet')
    .action(async (opts: { images: string; rotation?: string; out: string }) => {
      const result = await (await import('../stages/pack.js')).packStage({
        images: opts.images,
        rotation: opts.rotation,
        out: opts.out,
        progress: new Progress(cliProgressSink(false)),
        onSkip: (s) => process.stderr.write(`oidstream pack: skipped ${JSON.stringify(s.file)}: ${s.reason}\n`),
      });
      process.stderr.write(
        `packed ${result.packed} images (${result.bytes} bytes) into ${result.file}` +
          `${result.skipped.length ? `, skipped ${result.skipped.length}` : ''}` +
          `${opts.rotation ? `, ${result.withRotationInfo} with rotation info` : ''}\n`,
      );
    });
}
