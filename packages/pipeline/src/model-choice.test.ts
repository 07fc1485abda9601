import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseModelSpecs } from '@oidstream/keras-models';
import { chooseModels } from './model-choice.js';

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
    const hostedUrl = 'http://127.0.0.1:9/model.json';
    const choice = await chooseModels([], { probeNetwork: true, hostedUrl, cacheDir: '/nonexistent' });
    expect(choice).toEqual({
      models: [],
      skipped: { reason: `no --model given and the hosted MobileNet (${hostedUrl}) cannot be reached`, hint: expect.stringContaining('--model mobilenet=') },
    });
  });

  it('uses the hosted model when it answers (a real local HTTP server)', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/m/model.json' ? 200 : 404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const hostedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/model.json`;
      expect(await chooseModels([], { probeNetwork: true, hostedUrl, cacheDir: '/nonexistent' })).toEqual({ models: [{ name: 'mobilenet', source: hostedUrl }] });
      expect(await chooseModels(['mine=./m'], { probeNetwork: true, hostedUrl, cacheDir: '/nonexistent' })).toEqual({ models: [{ name: 'mine', source: './m' }] });
    } finally {
      server.close();
    }
  });
});
