// Activation and command registration, checked against the manifest the extension ships.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';

const repoRoot = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  publisher: string;
  name: string;
  contributes: { commands: { command: string }[] };
};
const extensionId = `${manifest.publisher}.${manifest.name}`;

suite('extension', () => {
  test(`${extensionId} is installed from the development path and activates`, async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} not found among ${vscode.extensions.all.length} extensions`);
    assert.equal(ext.extensionPath, repoRoot);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('every paramscope.* command in contributes.commands is registered', async () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).filter((id) => id.startsWith('paramscope.'));
    assert.ok(contributed.length >= 1, 'package.json contributes no paramscope.* commands');
    await vscode.extensions.getExtension(extensionId)?.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });
});
