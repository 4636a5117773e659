import { defineConfig } from 'vite';

/** The dashboard: a static single-page app; `/v1/*` is the api (Hosting rewrite, or the local server's proxy). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The budget is checked by scripts/build-dashboard.ts in gzipped bytes; Vite's raw-size warning only adds noise.
    chunkSizeWarningLimit: 1000,
  },
});
