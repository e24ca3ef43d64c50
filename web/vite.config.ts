// Builds the web console (Preact, TypeScript) into dist/console/, served by
// Hikyaku at /console/ (src/console/register-console.ts). No CDN: every
// script, style and font ships in the bundle.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  // Vite's own esbuild compiles the JSX for Preact: no Babel preset needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // The console is used by a few admins on a fast link: one chunk per entry keeps it simple.
    chunkSizeWarningLimit: 600,
  },
  logLevel: 'warn',
});
