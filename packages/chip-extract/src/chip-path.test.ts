import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chipRelativePath, resolveInside, safeFolderName } from './index.js';

describe('chip paths', () => {
  it('builds chips/<class>/<ImageID>_<n>.jpg', () => {
    expect(chipRelativePath('Jaguar (Animal)', '0123456789abcdef', 2)).toBe('chips/Jaguar (Animal)/0123456789abcdef_2.jpg');
  });
  it('never lets a hostile name escape', () => {
    for (const hostile of ['../../x', '..', '.', '/etc/passwd', 'a/../../b', 'C:\\evil', '\u0000', '', '....', 'x\ny']) {
      const folder = safeFolderName(hostile);
      expect(folder).not.toMatch(/[/\\\n\0]/);
      expect(folder).not.toMatch(/^\.+$/);
      expect(folder.length).toBeGreaterThan(0);
      const root = mkdtempSync(path.join(tmpdir(), 'cp-'));
      try {
        const full = resolveInside(root, chipRelativePath(hostile, '0123456789abcdef', 0));
        expect(full.startsWith(root + path.sep)).toBe(true);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    for (const id of ['../../x', '0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', '0123456789abcdef/']) {
      expect(() => chipRelativePath('Lion', id, 0)).toThrowError(expect.objectContaining({ code: 'UNSAFE_PATH' }));
    }
    expect(() => resolveInside('/tmp/out', '../x.jpg')).toThrowError(expect.objectContaining({ code: 'UNSAFE_PATH' }));
  });
});
