/**
 * Makes the app icons from resources/icon.svg: icon.png (Linux, 512 px), icon.ico (Windows, 16–256 px) and icon.icns
 * (macOS, 16–1024 px). Run after changing the SVG: `node --import tsx scripts/make-icons.ts`; the results are
 * committed, so packaging needs no image tools.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import pngToIco from 'png-to-ico';

const resources = fileURLToPath(new URL('../resources/', import.meta.url));
const svg = readFileSync(`${resources}icon.svg`);
const png = (size: number) =>
  sharp(svg, { density: 72 * (size / 64) })
    .resize(size, size)
    .png()
    .toBuffer();

/** The .icns container: "icns", its length, then one (type, length, PNG) entry per size. */
async function icns(): Promise<Buffer> {
  const types: Array<[string, number]> = [
    ['icp4', 16],
    ['icp5', 32],
    ['icp6', 64],
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
  ];
  const entries = await Promise.all(
    types.map(async ([type, size]) => {
      const data = await png(size);
      const header = Buffer.alloc(8);
      header.write(type, 0, 'latin1');
      header.writeUInt32BE(data.length + 8, 4);
      return Buffer.concat([header, data]);
    }),
  );
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'latin1');
  header.writeUInt32BE(8 + entries.reduce((sum, e) => sum + e.length, 0), 4);
  return Buffer.concat([header, ...entries]);
}

writeFileSync(`${resources}icon.png`, await png(512));
writeFileSync(`${resources}icon.ico`, await pngToIco(await Promise.all([16, 24, 32, 48, 64, 128, 256].map(png))));
writeFileSync(`${resources}icon.icns`, await icns());
console.log('Wrote resources/icon.png, icon.ico and icon.icns');
