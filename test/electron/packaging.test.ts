// Packaging cannot run here (electron-builder downloads Electron), so its configuration is checked
// statically: electron-builder.yml (and the dev variant) loaded and validated by electron-builder's
// own code and schema, the keys the app depends on, the entitlements plist, every file the
// configuration names, and the tray icons as images.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TRAY_ICONS } from '../../main/electron/tray-state';
import { repoRoot } from '../gateway/harness';

// electron-builder's own config loader, schema validation and parsers (it is a devDependency;
// app-builder-lib, js-yaml and plist come with it).
const builderRequire = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
const libRequire = createRequire(builderRequire.resolve('app-builder-lib/package.json'));
const { getConfig, validateConfiguration } = libRequire('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null): Promise<Record<string, any>>;
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const plist = libRequire('plist') as { parse(text: string): unknown };
const yaml = libRequire('js-yaml') as { load(text: string): unknown };

const load = async (file: string) => {
  const config = await getConfig(repoRoot, join(repoRoot, file));
  await validateConfiguration(config, { isEnabled: false, add() {} });
  return config;
};

describe('electron-builder.yml', () => {
  it('is YAML that electron-builder loads and its schema accepts', async () => {
    expect(yaml.load(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8'))).toMatchObject({ productName: 'Clawdbot' });
    await expect(load('electron-builder.yml')).resolves.toBeTruthy();
  });

  it('a misspelt key is caught by the same validation (the check is not vacuous)', async () => {
    const config = await getConfig(repoRoot, join(repoRoot, 'electron-builder.yml'));
    await expect(validateConfiguration({ ...config, mac: { ...config.mac, hardenedRuntme: true } }, { isEnabled: false, add() {} })).rejects.toThrow(/configuration.mac/);
  });

  it('names the app, keeps a stable bundle id, and builds a dmg and a zip for both Mac architectures', async () => {
    const config = await load('electron-builder.yml');
    expect(config.productName).toBe('Clawdbot');
    expect(config.appId).toBe('app.clawdbot.mac');
    const mac = config.mac;
    expect(mac.target).toEqual([
      { target: 'dmg', arch: ['arm64', 'x64'] },
      { target: 'zip', arch: ['arm64', 'x64'] },
    ]);
    expect(mac.category).toBe('public.app-category.productivity');
    expect(mac.minimumSystemVersion).toBe('13.0');
  });

  it('is a menu-bar app that may drive Messages, hardened, not sandboxed, notarized from the environment', async () => {
    const mac = (await load('electron-builder.yml')).mac;
    expect(mac.extendInfo.LSUIElement).toBe(true);
    expect(mac.extendInfo.NSAppleEventsUsageDescription).toMatch(/Messages/);
    expect(mac.extendInfo.NSUserNotificationAlertStyle).toBe('alert');
    expect(mac.hardenedRuntime).toBe(true);
    expect(mac.entitlements).toBe('resources/entitlements.mac.plist');
    expect(mac.entitlementsInherit).toBe('resources/entitlements.mac.plist');
    expect(mac.notarize).toBe(true);
    expect(JSON.stringify(await load('electron-builder.yml'))).not.toMatch(/"mas"|app-sandbox/);
  });

  it('flips the fuses of the security checklist', async () => {
    expect((await load('electron-builder.yml')).electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('unpacks native modules and the simulator from the asar, ships the tray icons', async () => {
    const config = await load('electron-builder.yml');
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', 'node_modules/better-sqlite3/**', 'out/node/imsg-sim.js', 'sim/bin/**']));
    expect(config.extraResources).toEqual([{ from: 'resources/tray', to: 'tray', filter: ['*.png'] }]);
  });

  it('configures update publishing but never publishes', async () => {
    const config = await load('electron-builder.yml');
    expect(config.publish).toEqual({ provider: 'generic', url: '${env.CLAWDBOT_UPDATE_URL}' });
    const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;
    expect(scripts.dist).toMatch(/electron-builder --mac .*--publish never/);
    expect(scripts['dist:dev']).toMatch(/--config electron-builder\.dev\.yml .*--publish never/);
  });

  it('the development build has its own bundle id and name (its TCC grants stay apart) and is not notarized', async () => {
    const dev = await load('electron-builder.dev.yml');
    expect(dev.appId).toBe('app.clawdbot.mac.dev');
    expect(dev.productName).toBe('Clawdbot Dev');
    expect(dev.mac.notarize).toBe(false);
    // Everything else comes from the release config.
    expect(dev.mac.extendInfo.LSUIElement).toBe(true);
    expect(dev.electronFuses.runAsNode).toBe(false);
  });
});

describe('files the configuration names', () => {
  it('exist', async () => {
    const config = await load('electron-builder.yml');
    const paths = [config.mac.entitlements, config.mac.entitlementsInherit, config.mac.icon, 'sim/bin/imsg', 'out/node/imsg-sim.js', 'node_modules/better-sqlite3/package.json', 'package.json'];
    for (const path of paths) expect(existsSync(join(repoRoot, path)), path).toBe(true);
    expect(readdirSync(join(repoRoot, config.extraResources[0].from)).filter((name: string) => name.endsWith('.png'))).toHaveLength(TRAY_ICONS.length * 2);
  });

  it('the entitlements plist parses and asks for JIT and Apple Events only (no sandbox)', () => {
    const entitlements = plist.parse(readFileSync(join(repoRoot, 'resources', 'entitlements.mac.plist'), 'utf8'));
    expect(entitlements).toEqual({ 'com.apple.security.cs.allow-jit': true, 'com.apple.security.automation.apple-events': true });
  });
});

/** Width, height and RGBA pixels of a PNG written by scripts/make-icons.mjs (8-bit RGBA, no filter). */
function readPng(path: string): { width: number; height: number; rgba: Buffer } {
  const data = readFileSync(path);
  expect(data.subarray(1, 4).toString('ascii')).toBe('PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.subarray(offset + 4, offset + 8).toString('ascii');
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('tray icons', () => {
  it.each(TRAY_ICONS)('%s: a template image at 18 pt, @1x and @2x', (icon) => {
    for (const [suffix, size] of [['', 18], ['@2x', 36]] as const) {
      const { width, height, rgba } = readPng(join(repoRoot, 'resources', 'tray', `${icon}Template${suffix}.png`));
      expect([width, height]).toEqual([size, size]);
      let ink = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        // A template image is black; only its alpha carries the shape.
        expect(rgba[i]! + rgba[i + 1]! + rgba[i + 2]!).toBe(0);
        ink += rgba[i + 3]! / 255;
      }
      // Neither empty nor a filled square.
      expect(ink / (size * size)).toBeGreaterThan(0.15);
      expect(ink / (size * size)).toBeLessThan(0.6);
    }
  });

  it('each state looks different', () => {
    const pixels = TRAY_ICONS.map((icon) => readPng(join(repoRoot, 'resources', 'tray', `${icon}Template@2x.png`)).rgba.toString('base64'));
    expect(new Set(pixels).size).toBe(TRAY_ICONS.length);
  });
});
