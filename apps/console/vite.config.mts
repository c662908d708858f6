import path from 'node:path';
import { defineConfig } from 'vite';

// The console is served by the API at / from dist/console; it talks only to the API's /v1 routes.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // JSX with React's automatic runtime: no plugin needed for a production build.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: path.join(import.meta.dirname, '..', '..', 'dist', 'console'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
