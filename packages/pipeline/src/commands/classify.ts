import type { Command } from 'commander';
import { BACKEND_ORDER, PREPROCESS_MODES, parseModelSpecs, type BackendChoice, type PreprocessMode } from '@oidstream/keras-models/options';
import { collect, parsePrecision, positiveInt } from '../cli-values.js';
import { PipelineError } from '../errors.js';
import { cliProgressSink, Progress } from '../progress.js';

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('Run Keras ImageNet models over every chip → OUT/predictions.parquet (top-1 and top-5 per model)')
    .requiredOption('--chips <file>', 'chips.parquet from `oidstream chips`')
    .option('--model <name=source>', 'model to run: name=<tfjs layers dir | model.json | http(s) URL | .h5> (repeatable)', collect, [])
    .option('--backend <backend>', `inference backend: auto|${BACKEND_ORDER.join('|')}`, 'auto')
    .requiredOption('--out <dir>', 'output directory')
    .option('--batch-size <n>', 'images per inference batch', '16')
    .option('--precision <p>', 'fp32 | int8 (int8: calibrated on a deterministic sample of the chips, cached; agreement with FP32 reported)', 'fp32')
    .option('--threads <n>', 'inference threads / worker threads (default: all cores)')
    .option('--preprocessing <name=mode>', `override a model's preprocess_input mode: name=${PREPROCESS_MODES.join('|')} (repeatable; default: chosen by model)`, collect, [])
    .option('--class-index <file>', 'imagenet_class_index.json (default: beside the model, ~/.keras/models, or downloaded there)')
    .option('--model-cache <dir>', 'cache for models given as URLs (default ~/.cache/oidstream/models)')
    .option('--json', 'print the result (and progress) as JSON lines on stdout')
    .action(async (opts: { chips: string; model: string[]; preprocessing: string[]; backend: string; precision: string; out: string; batchSize: string; threads?: string; classIndex?: string; modelCache?: string; json?: boolean }) => {
      const models = parseModelSpecs(opts.model);
      if (models.length === 0) throw new PipelineError('NO_MODEL', 'classify needs at least one --model name=<dir|url|.h5>');
      if (opts.backend !== 'auto' && !BACKEND_ORDER.includes(opts.backend as never)) {
        throw new PipelineError('BAD_OPTION', `--backend ${JSON.stringify(opts.backend)}: use auto, ${BACKEND_ORDER.join(', ')}`);
      }
      const precision = parsePrecision(opts.precision);
      const preprocessing: Record<string, PreprocessMode> = {};
      for (const v of opts.preprocessing) {
        const [name, mode] = v.split('=');
        if (!models.some((m) => m.name === name) || !PREPROCESS_MODES.includes(mode as PreprocessMode)) {
          throw new PipelineError('BAD_OPTION', `--preprocessing ${JSON.stringify(v)}: expected <model name>=${PREPROCESS_MODES.join('|')} for a --model name`);
        }
        preprocessing[name] = mode as PreprocessMode;
      }
      const { classifyStage, precisionNote } = await import('../stages/classify.js'); // onnxruntime, sharp, Parquet: loaded to run, not for --help
      const result = await classifyStage({
        chips: opts.chips,
        models,
        out: opts.out,
        backend: opts.backend as BackendChoice,
        precision,
        batchSize: positiveInt('--batch-size', opts.batchSize),
        threads: positiveInt('--threads', opts.threads),
        classIndex: opts.classIndex,
        preprocessing,
        modelCache: opts.modelCache,
        progress: new Progress(cliProgressSink(Boolean(opts.json))),
        onWarning: (m) => process.stderr.write(`oidstream classify: ${m}\n`),
      });
      const summary = { predictions: result.file, rows: result.rows, seconds: Math.round(result.ms) / 1000, models: result.models };
      if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stderr.write(`wrote ${result.rows} predictions to ${result.file} (${result.models.map((m) => `${m.name}: ${m.backend}, ${m.preprocessing}${precisionNote(m)}`).join('; ')})\n`);
    });
}
