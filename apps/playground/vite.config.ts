import { defineConfig } from 'vite';

// The page imports @vblora/* from their TypeScript sources (export condition), so no package build is needed.
export default defineConfig({
  resolve: { conditions: ['@vblora/source', 'module', 'browser', 'import', 'default'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
