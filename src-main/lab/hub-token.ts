import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The hub's token: the one secret a worker needs (it never gets the database's credentials). Kept in the hub's data
 * folder, readable by its owner only, made the first time it is asked for.
 */
export const tokenFile = (dataDir: string) => join(dataDir, 'lab', 'hub-token');

export function hubToken(dataDir: string): string {
  const file = tokenFile(dataDir);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(dataDir, 'lab'), { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

/** Where the hub last said it listens (written when it starts), for `hub token`'s join command and the app. */
export const hubAddressFile = (dataDir: string) => join(dataDir, 'lab', 'hub-address');

/** The address a hub started on this data folder listens at; undefined when none was ever started here. */
export function hubAddress(dataDir: string): string | undefined {
  return existsSync(hubAddressFile(dataDir)) ? readFileSync(hubAddressFile(dataDir), 'utf8').trim() : undefined;
}
