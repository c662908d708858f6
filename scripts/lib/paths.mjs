// Where the project keeps things outside the repository: a per-user cache shared by every clone.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = 'peakstock';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, PROJECT);
}

export function dataDir() {
  return path.resolve(ROOT, process.env.DATA_DIR || '.data');
}
