// The layers of ARCHITECTURE.md, enforced: every import in product code (contract/, main/, preload/,
// renderer/, sim/) is read and checked against the table below, which says which layer each folder
// is and which layers it may use. A new folder fails until it is given a layer here and a line in
// ARCHITECTURE.md; an import that runs the wrong way fails with the file, the line and the rule.
// Test files (*.test.ts) may import anything and are not checked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Product folders, bottom first, and the folders each may import from (besides itself). */
const LAYERS: Record<string, { mayImport: readonly string[]; lazy?: readonly string[] }> = {
  contract: { mayImport: [] },
  'main/util': { mayImport: ['contract'] },
  'main/config': { mayImport: ['contract', 'main/util'] },
  'main/pairing': { mayImport: ['contract', 'main/util', 'main/config'] },
  'main/agent': { mayImport: ['contract', 'main/util', 'main/config'] },
  'main/imessage': { mayImport: ['contract', 'main/util', 'main/config', 'main/pairing', 'main/agent'] },
  sim: { mayImport: ['contract'] },
  'main/gateway': {
    mayImport: ['contract', 'main/util', 'main/config', 'main/pairing', 'main/agent', 'main/imessage'],
    // The simulator (better-sqlite3) is loaded only in demo mode: import() or `import type` only.
    lazy: ['sim'],
  },
  'main/cli': {
    mayImport: ['contract', 'main/util', 'main/config', 'main/pairing', 'main/agent', 'main/imessage', 'main/gateway'],
    lazy: ['sim'],
  },
  'main/electron': {
    mayImport: ['contract', 'main/util', 'main/config', 'main/pairing', 'main/agent', 'main/imessage', 'main/gateway'],
    lazy: ['sim'],
  },
  preload: { mayImport: ['contract'] },
  renderer: { mayImport: ['contract'] },
};

/** Folders that hold tests, benchmarks and their support: product code never imports them. */
const NOT_PRODUCT = ['test', 'e2e', 'bench'];
/** npm packages only some layers may load. */
const PACKAGE_RULES: Record<string, readonly string[]> = {
  electron: ['main/electron', 'preload'],
  'better-sqlite3': ['sim'],
};
/** Layers that run in a browser or a sandboxed renderer: no Node built-ins. */
const NO_NODE_BUILTINS = ['contract', 'renderer', 'preload'];

interface ImportEdge {
  file: string;
  line: number;
  specifier: string;
  /** `import('…')` or `import type …`: nothing is loaded at start-up. */
  lazy: boolean;
}

function productFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|tsx|mts)$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, path));
    }
  };
  for (const top of ['contract', 'main', 'preload', 'renderer', 'sim']) walk(join(root, top));
  return out;
}

const IMPORT_PATTERNS: readonly RegExp[] = [
  // import … from '…' / export … from '…' (possibly spanning lines)
  /^\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+['"]([^'"]+)['"]/gms,
  // import '…' (side effects)
  /^\s*import\s+['"]([^'"]+)['"]/gm,
  // import('…') and typeof import('…')
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(root, file), 'utf8');
  const edges: ImportEdge[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  for (const match of text.matchAll(IMPORT_PATTERNS[0]!)) {
    edges.push({ file, line: lineOf(match.index), specifier: match[3]!, lazy: match[2] !== undefined });
  }
  for (const match of text.matchAll(IMPORT_PATTERNS[1]!)) edges.push({ file, line: lineOf(match.index), specifier: match[1]!, lazy: false });
  for (const match of text.matchAll(IMPORT_PATTERNS[2]!)) edges.push({ file, line: lineOf(match.index), specifier: match[1]!, lazy: true });
  return edges;
}

/** The layer (a key of LAYERS) a repository path belongs to, or the top folder for non-product paths. */
function layerOf(path: string): string {
  const parts = path.split(sep);
  if (parts[0] === 'main') return `main/${parts[1]}`;
  return parts[0]!;
}

function violations(): string[] {
  const problems: string[] = [];
  for (const file of productFiles()) {
    const from = layerOf(file);
    const rule = LAYERS[from];
    if (!rule) {
      problems.push(`${file}: folder ${from} has no layer; add it to LAYERS in test/architecture.test.ts and to ARCHITECTURE.md`);
      continue;
    }
    for (const edge of importsOf(file)) {
      const where = `${edge.file}:${edge.line} imports '${edge.specifier}'`;
      if (!edge.specifier.startsWith('.')) {
        const pkg = edge.specifier.startsWith('node:') ? 'node:' : edge.specifier.split('/')[0]!;
        if (pkg === 'node:' && NO_NODE_BUILTINS.includes(from)) problems.push(`${where}: ${from} runs outside Node (browser, sandboxed renderer)`);
        const allowed = PACKAGE_RULES[pkg];
        if (allowed && !allowed.includes(from)) problems.push(`${where}: only ${allowed.join(', ')} may load ${pkg}`);
        continue;
      }
      const target = relative(root, resolve(root, dirname(edge.file), edge.specifier));
      if (target.startsWith('..')) {
        problems.push(`${where}: outside the repository`);
        continue;
      }
      if (target === 'package.json') continue; // the version number
      const to = layerOf(target);
      if (to === from) continue;
      if (NOT_PRODUCT.includes(to)) {
        problems.push(`${where}: product code must not import ${to}/ (tests, benchmarks and their support)`);
        continue;
      }
      if (rule.mayImport.includes(to)) continue;
      if (rule.lazy?.includes(to)) {
        if (!edge.lazy) problems.push(`${where}: ${to} may only be loaded lazily from ${from} (import() or import type)`);
        continue;
      }
      problems.push(`${where}: ${from} may not import ${to} (it may import ${rule.mayImport.join(', ') || 'nothing else'})`);
    }
  }
  return problems;
}

describe('architecture', () => {
  it('every import in product code follows the layers', () => {
    expect(violations()).toEqual([]);
  });

  it('every product folder has a layer, and ARCHITECTURE.md names each one', () => {
    const architecture = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
    const folders = [
      'contract',
      'preload',
      'renderer',
      'sim',
      ...readdirSync(join(root, 'main')).filter((name) => statSync(join(root, 'main', name)).isDirectory()).map((name) => `main/${name}`),
    ];
    for (const folder of folders) {
      expect(LAYERS, `${folder} needs a layer`).toHaveProperty([folder]);
      expect(architecture, `ARCHITECTURE.md should describe ${folder}/`).toContain(`\`${folder}/\``);
    }
    for (const layer of Object.keys(LAYERS)) expect(folders, `LAYERS names ${layer}, which does not exist`).toContain(layer);
  });

  it('the checker catches a wrong-way import (it is not vacuous)', () => {
    const edges = importsOf('main/imessage/pipeline.ts');
    expect(edges.length).toBeGreaterThan(5);
    expect(edges.some((edge) => edge.specifier.includes('../agent/'))).toBe(true);
    expect(LAYERS['main/agent']!.mayImport).not.toContain('main/imessage');
  });
});
