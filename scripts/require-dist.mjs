#!/usr/bin/env node
// `prepack` guard of every publishable package: refuses to pack when dist/ is missing, lacks the output of a
// source file, is older than its source, or holds output of a source that no longer exists — a tarball must never
// ship stale or absent build output. npm runs lifecycle scripts in the package's folder, so paths are relative.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files under `dir`, as paths relative to it (forward slashes). */
function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
const rebuild = 'run `npx turbo run build` at the repository root (or `npm run build` here) before packing';

if (!existsSync('dist')) {
  console.error(`${name}: dist/ is missing; ${rebuild}.`);
  process.exit(1);
}

// Each compiled source `src/x.ts` must have `dist/x.js` and `dist/x.d.ts`, both at least as new as the source.
const sources = listFiles('src').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'));
const stems = new Set(sources.map((f) => f.slice(0, -'.ts'.length)));
const missing = [];
const stale = [];
for (const stem of stems) {
  const srcTime = statSync(`src/${stem}.ts`).mtimeMs;
  for (const out of [`dist/${stem}.js`, `dist/${stem}.d.ts`]) {
    if (!existsSync(out)) missing.push(out);
    else if (statSync(out).mtimeMs < srcTime) stale.push(out);
  }
}
// Output whose source was renamed or deleted would be published although nothing builds it any more.
const orphans = listFiles('dist')
  .filter((f) => f.endsWith('.js'))
  .filter((f) => !stems.has(f.slice(0, -'.js'.length)))
  .map((f) => `dist/${f}`);

const problems = [
  ...(missing.length > 0 ? [`not built: ${missing.join(', ')}`] : []),
  ...(stale.length > 0 ? [`older than its source: ${stale.join(', ')}`] : []),
  ...(orphans.length > 0 ? [`no source any more (delete dist/ and rebuild): ${orphans.join(', ')}`] : []),
];
if (problems.length > 0) {
  console.error(`${name}: dist/ does not match src/; ${rebuild}.\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
