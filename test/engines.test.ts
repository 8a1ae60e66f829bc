import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import t from 'tap';

// Issue 15: `npm install` warned that cookie@2 and content-disposition@3 need Node ≥ 22 while
// engines, the README and the image said ≥ 20.19. The two are pinned (package.json "overrides")
// to releases that support Node 20; every package in the lock file must accept the floor.

const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const range: string = pkg.engines.node;
const floor = semver.minVersion(range)!.version;

t.test('every locked package accepts the Node.js floor in engines', async (t) => {
  t.equal(lock.packages[''].engines?.node, range, 'the lock file records the same engines');
  const refused = Object.entries(lock.packages as Record<string, { version: string; engines?: { node?: string } }>)
    .filter(([path, p]) => path && typeof p.engines?.node === 'string' && !semver.satisfies(floor, p.engines.node))
    .map(([path, p]) => `${path}@${p.version} wants node ${p.engines!.node}`);
  t.same(refused, [], `no engine warning on install with Node ${floor}`);
  for (const name of ['cookie', 'content-disposition']) {
    t.ok(pkg.overrides?.[name], `${name} is pinned to a release that supports Node ${floor}`);
  }
});

t.test('the README, the image and this runtime agree with engines', async (t) => {
  const readme = readFileSync('README.md', 'utf8');
  t.match(readme, `Node.js ≥ ${floor.replace(/\.0$/, '')}`, 'the README names the same floor');
  const images = [...readFileSync('Dockerfile', 'utf8').matchAll(/^FROM node:(\d+)[-\w.]*/gm)].map((m) => m[1]!);
  t.ok(images.length > 0, 'the Dockerfile builds on a node image');
  for (const major of images) t.ok(semver.satisfies(`${major}.99.0`, range) && Number(major) === Number(floor.split('.')[0]), `node:${major} is the engines line`);
  t.ok(semver.satisfies(process.versions.node, range), `this Node.js (${process.versions.node}) satisfies ${range}`);
});
