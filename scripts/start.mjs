// `npm start`: opens the desktop app. Where Electron cannot run (its binary is missing and cannot be downloaded, or
// there is no display) it says so plainly and starts browser mode instead, printing the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

/** Asks the electron package for its binary in a child process, so a failed first-run download stays quiet. */
function findElectron() {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (probe.status === 0 && probe.stdout) return { path: probe.stdout };
  // Electron's own message advises deleting node_modules and reinstalling, which does not help where its download is
  // blocked; say what happened instead.
  return {
    reason:
      'the Electron binary is not installed (npm ci downloads it from GitHub, and that download was skipped or did ' +
      'not succeed here)',
  };
}

function startBrowserMode(reason) {
  console.log(`Autoencoder Studio cannot open its desktop window: ${reason}.`);
  console.log('Starting browser mode instead.\n');
  const child = spawn(process.execPath, [`${root}bin/ae-studio.mjs`, 'serve', ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}

const electron = findElectron();
if (!electron.path) {
  startBrowserMode(electron.reason);
} else if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  startBrowserMode('there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)');
} else {
  const startedAt = Date.now();
  const app = spawn(electron.path, [root, ...args], { stdio: 'inherit' });
  app.on('exit', (code, signal) => {
    // A crash within seconds of launch means Electron cannot run here (missing system libraries, GPU/display trouble).
    if (code !== 0 && !signal && Date.now() - startedAt < 10_000) {
      startBrowserMode(`Electron exited with code ${code} right after starting`);
      return;
    }
    process.exit(code ?? 0);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.kill(signal));
}
