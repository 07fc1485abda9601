import { describe, expect, it } from 'vitest';
import { chooseModels, parseModelSpecs } from './model-choice.js';

describe('model choice', () => {
  it('parses name=source and rejects bad names with a coded error', () => {
    expect(parseModelSpecs(['mobilenet=./m', 'dn=https://x/model.json'])).toEqual([
      { name: 'mobilenet', source: './m' }, { name: 'dn', source: 'https://x/model.json' },
    ]);
    expect(() => parseModelSpecs(['./m'])).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => parseModelSpecs(['a-b=./m'])).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => parseModelSpecs(['a=1', 'a=2'])).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });

  it('skips classification with a one-line hint when no model is given and the network is off', async () => {
    const choice = await chooseModels([], { probeNetwork: false, cacheDir: '/nonexistent' });
    expect(choice.models).toEqual([]);
    expect(choice.skipped?.hint).toContain('--model mobilenet=');
  });

  it('skips when the hosted model does not answer', async () => {
    const choice = await chooseModels([], { probeNetwork: true, hostedUrl: 'http://127.0.0.1:9/model.json', cacheDir: '/nonexistent' });
    expect(choice.skipped).toBeDefined();
  });
});
