import { GEN_CLASSES, GEN_HIERARCHY } from './oid-classes.js';
import type { GenImage, Split } from './scene.js';
import { Rng } from './random.js';

/** OID file names inside a data dir (DESIGN.md layout). */
export const fileNames = {
  classes: 'metadata/class-descriptions-boxable.csv',
  hierarchy: 'metadata/bbox_labels_600_hierarchy.json',
  human: (s: Split) => `annotations/${s}-annotations-human-imagelabels-boxable.csv`,
  machine: (s: Split) => `annotations/${s}-annotations-machine-imagelabels.csv`,
  boxes: (s: Split) => `annotations/${s}-annotations-bbox.csv`,
  rotation: (s: Split) => `annotations/${s}-images-with-rotation.csv`,
  image: (id: string) => `images/${id}.jpg`,
};

/** v5/v6 class file: no header, CRLF after every row but the last (LF), sorted by MID. */
export function classDescriptionsText(): string {
  const rows = [...GEN_CLASSES].sort((a, b) => (a.LabelName < b.LabelName ? -1 : 1)).map((c) => `${c.LabelName},${csvField(c.DisplayName)}`);
  return rows.join('\r\n') + '\n';
}

/** Hierarchy JSON as OID ships it: 4-space indent, CRLF. */
export function hierarchyText(): string {
  return JSON.stringify(GEN_HIERARCHY, null, 4).replace(/\n/g, '\r\n') + '\r\n';
}

export const LABEL_HEADER = 'ImageID,Source,LabelName,Confidence';
export const BOX_HEADER = 'ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside';
/** v6 train box files carry the click points too. */
export const TRAIN_BOX_HEADER = `${BOX_HEADER},XClick1X,XClick2X,XClick3X,XClick4X,XClick1Y,XClick2Y,XClick3Y,XClick4Y`;
export const ROTATION_HEADER =
  'ImageID,Subset,OriginalURL,OriginalLandingURL,License,AuthorProfileURL,Author,Title,OriginalSize,OriginalMD5,Thumbnail300KURL,Rotation';

export function boxHeader(split: Split): string {
  return split === 'train' ? TRAIN_BOX_HEADER : BOX_HEADER;
}

// Coordinates are multiples of 1e-6 in [0, 1]: format them from the integer (toFixed is the generator's hot spot).
const f6 = (v: number): string => {
  if (v === -1) return '-1';
  const micro = Math.round(v * 1e6);
  if (micro >= 1e6) return '1.000000';
  const digits = String(micro);
  return '0.' + '000000'.slice(digits.length) + digits;
};

export function labelLines(img: GenImage, which: 'human' | 'machine'): string {
  let out = '';
  for (const l of img[which]) out += `${img.ImageID},${l.Source},${l.LabelName},${l.Confidence}\n`;
  return out;
}

export function boxLines(img: GenImage): string {
  let out = '';
  for (const b of img.boxes) {
    out += `${img.ImageID},${b.Source},${b.LabelName},1,${f6(b.XMin)},${f6(b.XMax)},${f6(b.YMin)},${f6(b.YMax)},${b.IsOccluded},${b.IsTruncated},${b.IsGroupOf},${b.IsDepiction},${b.IsInside}`;
    if (img.split === 'train') out += ',' + b.clicks.map(f6).join(',');
    out += '\n';
  }
  return out;
}

const AUTHORS = ['Jane Doe', 'Smith, J.', 'Hiroshi "Hiro" Tanaka', 'zoo_fan_1984', 'María López'];
const TITLES = ['Big cat at dawn', 'On the "savanna", again', 'IMG_2041', 'Spots, stripes & whiskers', 'untitled'];

/** One row of the images-with-rotation file (Flickr-shaped metadata; Title/Author need CSV quoting). */
export function rotationLine(img: GenImage, seed: number): string {
  const rng = new Rng(seed ^ parseInt(img.ImageID.slice(8), 16));
  const farm = rng.int(1, 9);
  const photo = rng.int(1_000_000_000, 9_999_999_999);
  const author = rng.pick(AUTHORS);
  const md5 = Buffer.from(img.ImageID + img.ImageID, 'hex').toString('base64');
  const rotation = img.rotation === null ? '' : `${img.rotation}.0`;
  return [
    img.ImageID, img.split, `https://farm${farm}.staticflickr.com/${rng.int(1000, 9999)}/${photo}_${img.ImageID.slice(0, 10)}_o.jpg`,
    `https://www.flickr.com/photos/${author.replace(/\W+/g, '').toLowerCase()}/${photo}`, 'https://creativecommons.org/licenses/by/2.0/',
    `https://www.flickr.com/people/${author.replace(/\W+/g, '').toLowerCase()}/`, csvField(author), csvField(rng.pick(TITLES)),
    String(rng.int(200_000, 6_000_000)), md5, `https://c${farm}.staticflickr.com/${rng.int(1, 9)}/${photo}_${img.ImageID.slice(0, 10)}_z.jpg`, rotation,
  ].join(',') + '\n';
}

export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
