#!/usr/bin/env node
// Command-line entry: the same services and API as the app, under plain Node. TypeScript runs through tsx.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `Autoencoder Studio needs Node.js 22.12 or newer (this is ${process.versions.node}). ` +
      'Run it through npm ("npm run serve", "npx ae-studio"), which uses the Node 22 installed with the project.',
  );
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
