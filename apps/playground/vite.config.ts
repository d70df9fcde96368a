import { defineConfig } from 'vite';

// The page imports @vblora/* from their TypeScript sources (export condition), so no package build is needed.
export default defineConfig({
  resolve: { conditions: ['@vblora/source', 'module', 'browser', 'import', 'default'] },
  // TensorFlow.js alone is ~2 MB minified: one big chunk is expected for a demo page
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
