// Regression (found using the CLI as a new user): `promptpilot compress` decoded its template leniently, so a file
// saved in Latin-1 or Windows-1252 ("Résumé") came back as a candidate with replacement characters ("R�sum�"), exit
// 0, and random bytes without a NUL came back as a "template". Text that is not UTF-8 is refused in one line, exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const compress = (file: string) => spawnSync(process.execPath, ['dist/cli/main.js', 'compress', file], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });

describe('compress on a template that is not UTF-8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-compress-'));

  it('a Latin-1 file is refused saying so, not rewritten with replacement characters', () => {
    const file = join(dir, 'latin1.txt');
    writeFileSync(file, Buffer.from('R\xe9sum\xe9 of {{text}}: please be brief.\n', 'latin1'));
    const r = compress(file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`promptpilot: template ${file} is not UTF-8 text (another encoding, or binary data): save it as UTF-8\n`);
  });

  it('the same text in UTF-8 (with or without a byte-order mark) is compressed', () => {
    const file = join(dir, 'utf8.txt');
    writeFileSync(file, '\uFEFFRésumé of {{text}}: please be brief.\n');
    const r = compress(file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Résumé of {{text}}');
    expect(r.stdout).not.toContain('\uFFFD');
  });
});
