import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Goldens must never be created implicitly: only UPDATE_GOLDEN=1 writes expected files.
    update: false,
  },
});
