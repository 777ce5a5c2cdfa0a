import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// The Electron app: main process (ESM), preload (CommonJS, because sandboxed renderers can only
// load CommonJS preloads), renderer (React). The renderer build (out/renderer) is also what the
// gateway serves as its web control UI.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve('main/electron/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: {
      // Minified even though electron-vite leaves renderer builds unminified by default: the same
      // bundle is the gateway's web UI, and its size is a measured figure (npm run bench).
      minify: true,
      outDir: resolve('out/renderer'),
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
