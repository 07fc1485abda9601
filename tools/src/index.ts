export { generateOid, GENERATE_DEFAULTS, GenOidError } from './gen-oid.js';
export type { GenerateOptions, GenerateResult } from './gen-oid.js';
export { planImage, toStoredFrame, ImageIdSequence, SPLITS } from './scene.js';
export type { GenImage, GenBox, GenLabel, Rect, Split } from './scene.js';
export { GEN_CLASSES, GEN_HIERARCHY, BIG_CAT_MIDS, BOXED_MIDS } from './oid-classes.js';
export { fileNames, BOX_HEADER, TRAIN_BOX_HEADER, LABEL_HEADER, ROTATION_HEADER } from './oid-files.js';
export { Rng } from './random.js';
