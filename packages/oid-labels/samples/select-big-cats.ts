/**
 * Pick classes by name from the OID metadata and read the image labels of those classes.
 * Run it: `npx tsx packages/oid-labels/samples/select-big-cats.ts [data dir]`
 * (default: the committed test-data/oid, made by tools/gen-oid).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMetadata, OidLabelsError, readImageLabels, selectClasses } from '@oidstream/oid-labels';

export async function main(data = path.resolve(import.meta.dirname, '../../../test-data/oid')) {
  const { catalog, hierarchy } = loadMetadata(path.join(data, 'metadata')); // class descriptions + hierarchy JSON
  const bigCats = selectClasses(catalog); // nothing given: the six big cats
  const carnivores = selectClasses(catalog, { under: 'Carnivore', hierarchy }); // every class below Carnivore
  const chosen = selectClasses(catalog, { classes: 'tiger, lion' }); // exact name first, then case-insensitive
  let typo = '';
  try {
    selectClasses(catalog, { classes: 'Tigr' });
  } catch (err) {
    if (err instanceof OidLabelsError) typo = `${err.message} [${err.code}]`; // did you mean "Tiger"?
  }

  const wanted = new Set(chosen.map((c) => c.LabelName));
  const labels = path.join(data, 'annotations', 'validation-annotations-human-imagelabels-boxable.csv');
  const images = new Set<string>();
  for await (const label of readImageLabels(labels, { onBadRow: (bad) => console.warn(`${bad.file}:${bad.line}: ${bad.message}`) })) {
    if (wanted.has(label.LabelName) && label.Confidence === 1) images.add(label.ImageID);
  }

  const result = {
    bigCats: bigCats.map((c) => c.DisplayName),
    carnivores: carnivores.length,
    chosen: chosen.map((c) => `${c.DisplayName} ${c.LabelName}`),
    typo,
    imagesWithTigerOrLion: images.size,
  };
  console.log(result);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2]);
