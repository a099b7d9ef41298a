import { defineConfig } from 'vite';

// The Tauri shell loads dist/ from files (base './') and, in development,
// the dev server at http://127.0.0.1:1420 (its devUrl).
export default defineConfig({
  base: './',
  clearScreen: false,
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  server: {
    host: '127.0.0.1',
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: ['es2022', 'chrome110', 'safari16'],
    // Only the app: the test harness (tests/harness.html) is served by the
    // dev server during the tests and never built.
    rollupOptions: { input: 'index.html' },
  },
});
