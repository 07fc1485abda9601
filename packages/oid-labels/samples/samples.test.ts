import { describe, expect, it } from 'vitest';
import { main as selectBigCats } from './select-big-cats.js';

describe('samples', () => {
  it('select-big-cats.ts picks classes by name and finds their images in test-data/oid', async () => {
    const r = await selectBigCats();
    expect(r.bigCats).toEqual(['Tiger', 'Lion', 'Cheetah', 'Leopard', 'Jaguar (Animal)', 'Lynx']);
    expect(r.carnivores).toBe(17);
    expect(r.chosen).toEqual(['Tiger /m/07dm6', 'Lion /m/096mb']);
    expect(r.typo).toBe('no class named "Tigr"; did you mean "Tiger"? [UNKNOWN_CLASS]');
    // by the CSV: ImageIDs with a human-verified Tiger or Lion (1870f4a005ce782a's Lion is only a machine label)
    expect(r.imagesWithTigerOrLion).toBe(1);
  });
});
