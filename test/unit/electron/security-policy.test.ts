import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allowNavigation,
  allowPermission,
  appUrl,
  isTrustedSender,
  openExternalUrl,
  rendererEntry,
  resolveAppFile,
} from '../../../src-main/electron/security-policy';
import { useTempDirs } from '../../helpers/temp-dir';

/** The desktop shell's rules, as the Electron entry calls them (it cannot be launched here). */
describe('the desktop shell security policy', () => {
  const tempDir = useTempDirs();

  it('serves app://renderer/ from the built renderer only, refusing every way out of it', () => {
    const dir = join(tempDir(), 'renderer');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'assets', 'app.js'), '');
    expect(resolveAppFile(dir, 'app://renderer/')).toBe(join(dir, 'index.html'));
    expect(resolveAppFile(dir, 'app://renderer/index.html')).toBe(join(dir, 'index.html'));
    expect(resolveAppFile(dir, 'app://renderer/assets/app.js?v=1#x')).toBe(join(dir, 'assets', 'app.js'));
    expect(readFileSync(resolveAppFile(dir, appUrl)!, 'utf8')).toBe('<!doctype html>');
    for (const hostile of [
      'app://renderer/../../etc/passwd',
      'app://renderer/%2e%2e/%2e%2e/etc/passwd',
      'app://renderer/assets/%2e%2e%2f%2e%2e%2fsecret',
      'app://renderer/..%5c..%5csecret',
      'app://renderer/%00index.html',
      'app://renderer/%E0%A4%A',
      'app://other/index.html',
      'file:///etc/passwd',
      'not a url',
    ]) {
      const file = resolveAppFile(dir, hostile);
      if (file !== null) expect(file.startsWith(dir + '/')).toBe(true);
      else expect(file).toBeNull();
    }
    // Dot segments are folded by the URL parser itself (staying inside); encoded slashes are caught after decoding.
    expect(resolveAppFile(dir, 'app://renderer/%2e%2e/%2e%2e/etc/passwd')).toBe(join(dir, 'etc', 'passwd'));
    expect(resolveAppFile(dir, 'app://renderer/assets/%2e%2e%2f%2e%2e%2fsecret')).toBeNull();
    expect(resolveAppFile(dir, 'app://renderer/%00index.html')).toBeNull();
    expect(resolveAppFile(dir, 'app://other/index.html')).toBeNull();
    expect(resolveAppFile(dir, 'file:///etc/passwd')).toBeNull();
  });

  it('loads the dev server only in a development build', () => {
    expect(rendererEntry({ isPackaged: false, devServerUrl: 'http://localhost:5173' })).toBe(
      'http://localhost:5173/index.html',
    );
    expect(rendererEntry({ isPackaged: true, devServerUrl: 'https://evil.example' })).toBe('app://renderer/index.html');
    expect(rendererEntry({ isPackaged: false })).toBe('app://renderer/index.html');
  });

  it('grants no permission and allows navigation only to the app page', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'hid']) {
      expect(allowPermission(permission)).toBe(false);
    }
    expect(allowNavigation('app://renderer/index.html#token=1', appUrl)).toBe(true);
    for (const url of [
      'https://evil.example/',
      'app://renderer/other.html',
      'file:///etc/passwd',
      'javascript:alert(1)',
    ]) {
      expect(allowNavigation(url, appUrl)).toBe(false);
    }
    expect(openExternalUrl('https://github.com/')).toBe('https://github.com/');
    for (const url of ['file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'ms-settings:']) {
      expect(openExternalUrl(url)).toBeNull();
    }
  });

  it('accepts API calls only from the main frame of our window showing our page', () => {
    const ours = { senderId: 3, windowId: 3, isMainFrame: true, frameUrl: 'app://renderer/index.html' };
    expect(isTrustedSender(ours, appUrl)).toBe(true);
    expect(isTrustedSender({ ...ours, isMainFrame: false }, appUrl)).toBe(false);
    expect(isTrustedSender({ ...ours, senderId: 4 }, appUrl)).toBe(false);
    expect(isTrustedSender({ ...ours, windowId: undefined }, appUrl)).toBe(false);
    expect(isTrustedSender({ ...ours, frameUrl: 'https://evil.example/index.html' }, appUrl)).toBe(false);
    expect(isTrustedSender({ ...ours, frameUrl: 'file:///index.html' }, appUrl)).toBe(false);
    expect(isTrustedSender({ ...ours, frameUrl: undefined }, appUrl)).toBe(false);
  });
});
