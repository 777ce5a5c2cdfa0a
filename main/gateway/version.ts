// The product version, from package.json (bundled in at build time, so reading it costs nothing at
// start-up). Reported by `clawdbot --version`, the control API and the instance file.
import packageJson from '../../package.json' with { type: 'json' };

export const CLAWDBOT_VERSION: string = packageJson.version;
