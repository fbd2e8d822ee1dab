import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * `vite --mode mock`: api.ts gets src/dev/bindings.ts (in-memory sample data)
 * instead of the generated Tauri bindings, so the UI runs in a plain browser.
 */
function mockBindings(): Plugin {
  return {
    name: 'kith-mock-bindings',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source === './bindings' && importer?.replace(/\\/g, '/').endsWith('/src/lib/api.ts')) {
        return this.resolve('/src/dev/bindings.ts', importer, { skipSelf: true });
      }
      return null;
    },
  };
}

// Tauri serves `dist/` at the root of its own origin, so Vite's defaults
// (base '/') are right. The webview is WebKitGTK 2.50: ES2021 is plenty.
export default defineConfig(({ mode }) => ({
  plugins: [svelte(), svelteTesting(), ...(mode === 'mock' ? [mockBindings()] : [])],
  resolve: {
    // Root-relative: Vite resolves '/src/…' against the project root.
    alias: { $lib: '/src/lib' },
  },
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: ['es2021', 'safari15'],
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // Call history and one-off answers never leak between tests; vi.fn(impl) keeps impl.
    mockReset: true,
    // The contrast test reads app.css as text (?raw).
    css: { include: [/app\.css/] },
  },
}));
