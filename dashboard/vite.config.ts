/**
 * Dashboard build: `npm run build:dashboard` → dist/dashboard/ (served by `earshot serve` at /).
 * Static files only: no server-side rendering, no CDN; everything the page needs is in the bundle.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 300,
  },
  server: { fs: { allow: ['..'] } },
});
