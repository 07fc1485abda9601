export { OidLabelsError } from './errors.js';
export type { OidLabelsErrorCode } from './errors.js';
export { ClassCatalog, parseClassDescriptions, foldName } from './class-descriptions.js';
export type { ClassDescription, ClassFileVariant } from './class-descriptions.js';
export { ClassHierarchy, parseHierarchy } from './hierarchy.js';
export type { HierarchyNode, DescendantOptions } from './hierarchy.js';
export { BIG_CATS, selectClasses, resolveClass, splitClassList } from './select-classes.js';
export type { ClassSelectionOptions } from './select-classes.js';
export { closestNames, editDistance } from './closest-names.js';
export {
  indexColumns, parseNumber, toImageLabel, imageLabelColumns, toBoxRecord, boxColumns, IMAGE_LABEL_COLUMNS, BOX_COLUMNS,
} from './records.js';
export type { BadRow, ColumnIndex, ImageLabel, ImageLabelColumn, BoxRecord, BoxColumn } from './records.js';
export { readImageLabels, imageLabelStream } from './read-image-labels.js';
export type { ReadImageLabelsOptions } from './read-image-labels.js';
export { loadMetadata, readClassDescriptions, readHierarchy, CLASS_FILE_NAMES, HIERARCHY_FILE_NAME } from './metadata-dir.js';
export type { Metadata } from './metadata-dir.js';
