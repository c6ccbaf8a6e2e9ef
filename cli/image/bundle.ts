// The UNIBOS bundle a device runs: this checkout's TypeScript bundled by esbuild into dist/ (one
// chunk per command and the code they share, so a role loads a few files instead of hundreds of
// ESM modules), the same code also compiled file by file (the layout is kept, so assets found
// through import.meta.url, such as the .proto files and the admin UI, and the packages modules
// import, are where the code expects them), the production dependencies only, native addons
// checked to be built for the target CPU (and the Node ABI they were built for recorded), and a
// SHA256SUMS over every file.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../cli-error.ts';
import { elfArch } from './elf-arch.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BundleOptions {
  /** Where the bundle is written (emptied first). */
  outDir: string;
  /** Target CPU in Node's names (`arm64` for a Raspberry Pi 3/4/5/Zero 2 W, `x64`). */
  arch: string;
  /** Told about each notable step (skipped optional addons, for example). */
  log?: (line: string) => void;
  repoRoot?: string;
}

export interface BundleResult {
  outDir: string;
  version: string;
  files: number;
  bytes: number;
  nativeAddons: string[];
  skippedOptional: string[];
}

interface PackageJson {
  name: string;
  version: string;
  exports?: unknown;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  workspaces?: string[];
}

/** Top-level folders of a dependency that nothing loads at run time (deeper ones may be code: yaml's dist/doc). */
const SKIP_DIRS = new Set(['test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'benchmark', 'benchmarks', '.github', 'coverage', 'node_modules']);
/** Files of a dependency that nothing loads at run time. */
const SKIP_FILE = /(\.md|\.markdown|\.d\.ts|\.d\.mts|\.d\.cts|\.map|\.ts|\.tsbuildinfo|\.gyp|\.gypi|\.cc|\.cpp|\.c|\.h|\.hpp|\.o|\.a|\.mk|Makefile)$/;

export async function buildBundle(options: BundleOptions): Promise<BundleResult> {
  const root = options.repoRoot ?? REPO_ROOT;
  const out = options.outDir;
  const log = options.log ?? (() => {});
  const { transform, build } = await loadEsbuild(root);
  const rootPkg = readJson<PackageJson>(join(root, 'package.json'));
  const workspaces = listWorkspaces(root, rootPkg);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // Our own code: the CLI and every workspace the root depends on, compiled file by file.
  const included = new Map<string, string>();
  // Modules (a module.json) are found by their folder at run time, not imported: every one goes in.
  const modules = [...workspaces].filter(([, dir]) => existsSync(join(dir, 'module.json'))).map(([name]) => name);
  const wanted = [...Object.keys(rootPkg.dependencies ?? {}).filter((d) => workspaces.has(d)), ...modules];
  while (wanted.length) {
    const name = wanted.pop()!;
    if (included.has(name)) continue;
    const dir = workspaces.get(name)!;
    included.set(name, dir);
    const pkg = readJson<PackageJson>(join(dir, 'package.json'));
    for (const d of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) if (workspaces.has(d)) wanted.push(d);
  }
  const sources: string[] = [];
  const compile = async (from: string, to: string): Promise<void> => {
    sources.push(from);
    const source = readFileSync(from, 'utf8');
    const result = await transform(source, { loader: 'ts', format: 'esm', target: 'node20', platform: 'node', sourcefile: relative(root, from) });
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, rewriteTsSpecifiers(result.code));
  };
  const compileTree = async (fromDir: string, toDir: string): Promise<void> => {
    for (const entry of readdirSync(fromDir, { withFileTypes: true })) {
      const from = join(fromDir, entry.name);
      if (entry.isDirectory()) {
        if (!['test', 'bench', 'node_modules'].includes(entry.name)) await compileTree(from, join(toDir, entry.name));
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
        await compile(from, join(toDir, entry.name.replace(/\.ts$/, '.js')));
      } else if (!entry.name.endsWith('.ts')) {
        mkdirSync(toDir, { recursive: true });
        copyFileSync(from, join(toDir, entry.name));
      }
    }
  };
  for (const [name, dir] of included) {
    const rel = relative(root, dir);
    const target = join(out, rel);
    const pkg = readJson<PackageJson & Record<string, unknown>>(join(dir, 'package.json'));
    mkdirSync(target, { recursive: true });
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'test', 'bench', 'package.json', 'tsconfig.json'].includes(entry.name) || entry.name.startsWith('.')) continue;
      const from = join(dir, entry.name);
      if (entry.isDirectory()) await compileTree(from, join(target, entry.name));
      else if (entry.name === 'module.json') writeFileSync(join(target, entry.name), compiledManifest(readFileSync(from, 'utf8')));
      else if (!entry.name.endsWith('.ts') && !entry.name.endsWith('.md')) copyFileSync(from, join(target, entry.name));
    }
    const { devDependencies: _dev, scripts: _scripts, ...kept } = pkg;
    writeFileSync(join(target, 'package.json'), `${JSON.stringify(JSON.parse(JSON.stringify(kept).replace(/\.ts"/g, '.js"')), null, 2)}\n`);
    const link = join(out, 'node_modules', ...name.split('/'));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), target), link);
  }
  const mesh = included.get('@unibos/mesh-protocol');
  if (mesh) {
    // Loaded from JSON on the device instead of parsed from the .proto text at every start.
    const { protoRoot, COMPILED_SCHEMA_PATH } = await import('@unibos/mesh-protocol');
    writeFileSync(join(out, relative(root, mesh), COMPILED_SCHEMA_PATH), `${JSON.stringify(protoRoot.toJSON())}\n`);
  }
  for (const sub of ['', 'commands', 'image']) {
    const dir = join(root, 'cli', sub);
    for (const f of readdirSync(dir)) if (f.endsWith('.ts') && !f.endsWith('.test.ts')) await compile(join(dir, f), join(out, 'cli', sub, f.replace(/\.ts$/, '.js')));
  }
  await bundleCli(root, out, sources, build);
  mkdirSync(join(out, 'bin'), { recursive: true });
  writeFileSync(
    join(out, 'bin', 'unibos.js'),
    "#!/usr/bin/env node\n// The `unibos` binary of a bundle: bundled JavaScript, no TypeScript tooling at run time.\nconst { main } = await import('../dist/unibos.js');\nprocess.exitCode = await main(process.argv.slice(2));\n",
  );
  chmodSync(join(out, 'bin', 'unibos.js'), 0o755);
  // The addons (better-sqlite3, unix-dgram) were compiled by `npm ci` for this Node's ABI and load
  // on no other: the image's stage compares it with its own Node's.
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ name: 'unibos', version: rootPkg.version, private: true, type: 'module', bin: { unibos: 'bin/unibos.js' }, engines: { node: '>=20' }, bundle: { arch: options.arch, platform: 'linux', nodeAbi: process.versions.modules } }, null, 2)}\n`,
  );

  // Third-party production dependencies, at the same paths as in the checkout so Node resolves
  // them exactly as it does there.
  const copied = new Set<string>();
  const skippedOptional: string[] = [];
  const visit = (fromDir: string, deps: Record<string, string>, optional: Set<string>): void => {
    for (const dep of Object.keys(deps)) {
      // Type declarations that some packages list as dependencies: nothing at run time.
      if (workspaces.has(dep) || dep.startsWith('@types/')) continue;
      const pkgDir = resolvePackageDir(root, fromDir, dep);
      if (!pkgDir) {
        if (optional.has(dep)) {
          skippedOptional.push(dep);
          log(`optional dependency ${dep} is not installed here; the bundle goes without it`);
          continue;
        }
        throw new CliError(`production dependency ${dep} (needed by ${relative(root, fromDir) || 'the root'}) is not installed: run 'npm ci' first`);
      }
      const rel = relative(root, pkgDir);
      if (copied.has(rel)) continue;
      copied.add(rel);
      copyPackage(pkgDir, join(out, rel), options.arch);
      const pkg = readJson<PackageJson>(join(pkgDir, 'package.json'));
      visit(pkgDir, { ...pkg.dependencies, ...pkg.optionalDependencies }, new Set(Object.keys(pkg.optionalDependencies ?? {})));
    }
  };
  visit(root, { ...rootPkg.dependencies, ...rootPkg.optionalDependencies }, new Set(Object.keys(rootPkg.optionalDependencies ?? {})));
  for (const dir of included.values()) {
    const pkg = readJson<PackageJson>(join(dir, 'package.json'));
    visit(dir, { ...pkg.dependencies, ...pkg.optionalDependencies }, new Set(Object.keys(pkg.optionalDependencies ?? {})));
  }

  requireAddonsByPath(join(out, 'node_modules'));
  const nativeAddons = checkNativeAddons(out, options.arch, included, root, skippedOptional, log);
  const sums = writeChecksums(out);
  return { outDir: out, version: rootPkg.version, files: sums.files, bytes: sums.bytes, nativeAddons, skippedOptional };
}

/** A module's manifest as the bundle holds it: its entries name the compiled .js where the checkout's name the .ts source. */
export function compiledManifest(text: string): string {
  const manifest = JSON.parse(text) as { entry?: Record<string, unknown> };
  for (const [role, file] of Object.entries(manifest.entry ?? {})) if (typeof file === 'string') manifest.entry![role] = file.replace(/\.ts$/, '.js');
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** `./x.ts` -> `./x.js` in static and dynamic imports (the checkout imports .ts files by name). */
export function rewriteTsSpecifiers(code: string): string {
  return code.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"\n]+)\.ts\2/g, '$1$2$3.js$2');
}

/**
 * The CLI, the workspaces it reaches and their pure-JavaScript dependencies, bundled into dist/ with
 * esbuild: every command stays a dynamic import (its own chunk), so `unibos node` does not load the
 * hub's code, and a role reads a few files instead of hundreds of modules (each one Node loads
 * costs memory for as long as the process runs). Left in node_modules and imported by the path
 * Node would have resolved from the original file (so a package nested under one workspace stays
 * that workspace's version): native addons other than those found through `bindings`, and the
 * packages our code loads through createRequire() at run time, which must stay one instance with
 * what the rest imports (one prom-client registry).
 */
async function bundleCli(root: string, out: string, sources: string[], build: typeof import('esbuild').build): Promise<void> {
  const dist = join(out, 'dist');
  const requiredAtRunTime = new Set<string>();
  // By exact specifier: mesh-protocol inlines protobufjs/light.js while a checkout without the
  // precompiled schema requires the full 'protobufjs' (only its JSON output crosses over).
  for (const file of sources) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:createRequire\([^)]*\)|require(?:\.resolve)?)\(\s*['"]([^'"./][^'"]*)['"]/g)) requiredAtRunTime.add(m[1]!);
  }
  const keptOutside = (pkgDir: string, specifier: string): boolean => {
    if (requiredAtRunTime.has(specifier)) return true;
    if (existsSync(join(pkgDir, 'binding.gyp')) || existsSync(join(pkgDir, 'prebuilds'))) return !addonFoundDirectly(pkgDir);
    const pkg = readJson<PackageJson & { gypfile?: boolean }>(join(pkgDir, 'package.json'));
    return pkg.gypfile === true || ['bindings', 'node-gyp-build', 'prebuild-install'].some((d) => d in (pkg.dependencies ?? {}));
  };
  // An addon loaded through `bindings` (better-sqlite3) is required by its path instead: that
  // package's search (a dozen candidate paths, found through a stack trace) is enough path work at
  // start to wake V8's optimizing compiler, ~4 MB resident for the process's life. Its JavaScript
  // is then bundled like any other.
  const addonPaths = new Map<string, Map<string, string>>();
  const addonFoundDirectly = (pkgDir: string): boolean => {
    if (addonPaths.has(pkgDir)) return true;
    const found = new Map<string, string>();
    const walk = (dir: string): boolean => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!['node_modules', 'build', 'deps', 'src', 'test'].includes(entry.name) && !walk(p)) return false;
        } else if (entry.name.endsWith('.js')) {
          const code = readFileSync(p, 'utf8');
          if (/\bnode-gyp-build\b|process\.dlopen/.test(code.replace(BINDINGS_CALL, ''))) return false;
          for (const m of code.matchAll(BINDINGS_CALL)) {
            const file = m[1]!.endsWith('.node') ? m[1]! : `${m[1]}.node`;
            const addon = join(pkgDir, 'build', 'Release', file);
            if (!existsSync(addon)) return false;
            found.set(m[0], addon);
          }
        }
      }
      return true;
    };
    if (!walk(pkgDir) || found.size === 0) return false;
    addonPaths.set(pkgDir, found);
    return true;
  };
  const ownCode: import('esbuild').Plugin = {
    name: 'unibos-layout',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'inner' || args.path.startsWith('@unibos/') || args.path.startsWith('node:') || isBuiltin(args.path)) return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
        // Optional peers a package tries in a try/catch (ws's bufferutil): left to fail at run time as they do now.
        if (found.errors.length) return { path: args.path, external: true };
        const name = packageName(args.path);
        const at = found.path.lastIndexOf(`${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`);
        const pkgDir = at >= 0 ? found.path.slice(0, at + `${sep}node_modules${sep}`.length + name.length) : undefined;
        if (pkgDir && !keptOutside(pkgDir, args.path)) return { path: found.path, pluginData: found.pluginData };
        return { path: toImportPath(relative(dist, join(out, relative(root, found.path)))), external: true };
      });
      // import.meta.url becomes the URL the file has in the compiled tree beside dist/, so assets
      // (new URL('../../proto/', import.meta.url)) and createRequire() resolve as they do there.
      // Written above as paths from dist/, where the chunk that requires them is.
      b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, external: true }));
      // A bundled package that finds its own files (the Swagger UI's assets, pino's worker) gets
      // __dirname and __filename of its file as copied into node_modules beside dist/.
      b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
        const pkg = [...addonPaths.keys()].find((dir) => args.path.startsWith(`${dir}${sep}`));
        let code = readFileSync(args.path, 'utf8');
        const ownFiles = /\b__(?:dirname|filename)\b/.test(code);
        if (!pkg && !ownFiles) return undefined;
        for (const [call, addon] of pkg ? addonPaths.get(pkg)! : []) code = code.replaceAll(call, `require(${JSON.stringify(toImportPath(relative(dist, join(out, relative(root, addon)))))})`);
        if (ownFiles) {
          const file = relative(dist, join(out, relative(root, args.path))).split(sep).join('/');
          code = `var __filename = require('node:path').join(__unibosDist, ${JSON.stringify(file)}), __dirname = require('node:path').dirname(__filename);\n${code}`;
        }
        return { contents: code, loader: 'js' };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
        const compiled = relative(dist, join(out, relative(root, args.path))).replace(/\.ts$/, '.js').split(sep).join('/');
        return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(compiled)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
  await build({
    entryPoints: { unibos: join(root, 'cli', 'unibos.ts') },
    outdir: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    absWorkingDir: root,
    plugins: [ownCode],
    // Bundled CommonJS asks for Node's builtins (and the addons kept outside) through require.
    // (import.meta['url']: the plain spelling would be rewritten when this file is bundled itself.)
    // import.meta.filename/dirname (Node 20.11+) spare a URL-to-path conversion per chunk: with the
    // loader's own, enough of them at start to get the conversion optimized, and V8's optimizing
    // compiler then stays resident.
    banner: {
      js: "import { createRequire as __unibosCreateRequire } from 'node:module';\nimport { fileURLToPath as __unibosFileURLToPath } from 'node:url';\nconst require = __unibosCreateRequire(import.meta['filename'] ?? import.meta['url']);\nconst __unibosDist = import.meta['dirname'] ?? __unibosFileURLToPath(new URL('.', import.meta['url']));",
    },
    logLevel: 'silent',
  });
}

/**
 * The same for the addons left in node_modules (unix-dgram, loaded with createRequire() when
 * systemd is told the process is ready): their copy requires build/Release/<addon> by path.
 */
function requireAddonsByPath(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (!entry.isDirectory()) continue;
    if (entry.name.startsWith('@') || entry.name === 'node_modules') {
      requireAddonsByPath(p);
      continue;
    }
    if (existsSync(join(p, 'build', 'Release'))) {
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const f = join(d, e.name);
          if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'build') walk(f);
          else if (e.isFile() && /\.c?js$/.test(e.name)) {
            const code = readFileSync(f, 'utf8');
            const patched = code.replace(BINDINGS_CALL, (call, name: string) => {
              const addon = join(p, 'build', 'Release', name.endsWith('.node') ? name : `${name}.node`);
              return existsSync(addon) ? `require(${JSON.stringify(toImportPath(relative(d, addon)))})` : call;
            });
            if (patched !== code) writeFileSync(f, patched);
          }
        }
      };
      walk(p);
    }
    if (existsSync(join(p, 'node_modules'))) requireAddonsByPath(join(p, 'node_modules'));
  }
}

/** `require('bindings')('better_sqlite3.node')`, the usual way a compiled addon is found. */
const BINDINGS_CALL = /require\(\s*['"]bindings['"]\s*\)\(\s*['"]([\w.-]+)['"]\s*\)/g;

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function toImportPath(rel: string): string {
  const p = rel.split(sep).join('/');
  return p.startsWith('.') ? p : `./${p}`;
}

async function loadEsbuild(root: string): Promise<{ transform: typeof import('esbuild').transform; build: typeof import('esbuild').build }> {
  try {
    const path = createRequire(join(root, 'package.json')).resolve('esbuild');
    return (await import(path)) as { transform: typeof import('esbuild').transform; build: typeof import('esbuild').build };
  } catch (err) {
    throw new CliError(`esbuild is needed to compile the bundle and is not installed (${(err as Error).message}): run 'npm ci' in the checkout`);
  }
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function listWorkspaces(root: string, pkg: PackageJson): Map<string, string> {
  const found = new Map<string, string>();
  for (const pattern of pkg.workspaces ?? []) {
    const dirs = pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, pattern.slice(0, -2), e.name)) : [join(root, pattern)];
    for (const dir of dirs) {
      if (!existsSync(join(dir, 'package.json'))) continue;
      found.set(readJson<PackageJson>(join(dir, 'package.json')).name, dir);
    }
  }
  return found;
}

/** Node's lookup: `<dir>/node_modules/<name>`, walking up to the repository root. */
function resolvePackageDir(root: string, fromDir: string, name: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', ...name.split('/'));
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === root || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}

function copyPackage(from: string, to: string, arch: string): void {
  const native = existsSync(join(from, 'binding.gyp'));
  const walk = (src: string, dst: string, depth: number): void => {
    for (const entry of readdirSync(src, { withFileTypes: true })) {
      const s = join(src, entry.name);
      const d = join(dst, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || (depth === 0 && SKIP_DIRS.has(entry.name))) continue;
        // A compiled addon needs its .node file, not the C sources or the build tree around it.
        if (native && depth === 0 && (entry.name === 'deps' || entry.name === 'src')) continue;
        if (native && entry.name === 'obj.target') continue;
        if (entry.name === 'prebuilds' && depth === 0) {
          for (const p of readdirSync(s)) if (p.startsWith(`linux-${arch}`)) walk(join(s, p), join(d, p), depth + 2);
          continue;
        }
        walk(s, d, depth + 1);
      } else if (entry.isSymbolicLink()) {
        continue;
      } else if (entry.name === 'package.json' || !SKIP_FILE.test(entry.name) || entry.name.endsWith('.node')) {
        if (native && s.includes(`${sep}build${sep}`) && !entry.name.endsWith('.node')) continue;
        if (entry.name.endsWith('.node') && /test_extension/.test(entry.name)) continue;
        mkdirSync(dst, { recursive: true });
        copyFileSync(s, d);
        if (lstatSync(s).mode & 0o111) chmodSync(d, 0o755);
      }
    }
  };
  walk(from, to, 0);
}

/** Every .node in the bundle must be for `arch`; a foreign build of an optional addon is dropped. */
function checkNativeAddons(out: string, arch: string, included: Map<string, string>, root: string, skippedOptional: string[], log: (line: string) => void): string[] {
  const optional = new Set<string>(Object.keys(readJson<PackageJson>(join(root, 'package.json')).optionalDependencies ?? {}));
  for (const dir of included.values()) for (const d of Object.keys(readJson<PackageJson>(join(dir, 'package.json')).optionalDependencies ?? {})) optional.add(d);
  const addons: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.node')) {
        const built = elfArch(p);
        const rel = relative(out, p);
        if (built === arch) {
          addons.push(rel);
          continue;
        }
        const pkg = rel.split(sep).slice(0, rel.startsWith(`node_modules${sep}@`) ? 3 : 2).join('/').replace(/^node_modules\//, '');
        if (optional.has(pkg)) {
          rmSync(join(out, 'node_modules', pkg), { recursive: true, force: true });
          skippedOptional.push(pkg);
          log(`optional addon ${pkg} is built for ${built ?? 'an unknown CPU'}, not ${arch}: left out (the runtime falls back without it)`);
          continue;
        }
        throw new CliError(
          `${rel} is built for ${built ?? 'an unknown CPU'}, not ${arch}: native addons cannot be cross-built here. Run 'unibos image bundle --arch ${arch}' on a ${arch} machine (a Raspberry Pi 4/5 or an ${arch} runner, after 'npm ci'), then pass that bundle to images/build.sh with --bundle`,
        );
      }
    }
  };
  walk(join(out, 'node_modules'));
  return addons;
}

function writeChecksums(out: string): { files: number; bytes: number } {
  const lines: string[] = [];
  let bytes = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const data = readFileSync(p);
        bytes += data.length;
        lines.push(`${createHash('sha256').update(data).digest('hex')}  ${relative(out, p).split(sep).join('/')}`);
      } else if (entry.isSymbolicLink()) {
        // Links only point inside the bundle (the workspace packages); the files they reach are summed.
        void readlinkSync(p);
      }
    }
  };
  walk(out);
  writeFileSync(join(out, 'SHA256SUMS'), `${lines.join('\n')}\n`);
  return { files: lines.length, bytes };
}

/** A reproducible-enough tarball of the bundle and its .sha256 beside it (what the pi-gen stage takes). */
export function packBundle(bundleDir: string, tarball: string): string {
  mkdirSync(dirname(tarball), { recursive: true });
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf', tarball, '-C', bundleDir, '.']);
  const sum = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  writeFileSync(`${tarball}.sha256`, `${sum}  ${tarball.split(sep).pop()}\n`);
  return sum;
}
