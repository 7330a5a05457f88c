import { defineConfig } from "vite";

// Static files only: relative base so the build works from any directory,
// including file servers and offline copies.
export default defineConfig({
  base: "./",
  worker: { format: "es" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
