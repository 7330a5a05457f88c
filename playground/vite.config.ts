import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defineConfig, type Plugin } from "vite";
import { FIRST_EXAMPLE, firstFiles } from "./src/inputs";

const here = path.dirname(fileURLToPath(import.meta.url));

/** `virtual:first-render`: the first example's preview, computed now by the
 * wasm module the page loads (src/pkg, run under node), so the page renders
 * a request at once — before its worker has fetched and compiled the
 * engine, and in a one-shot `chromium --headless --screenshot`. The live
 * engine replaces it (with the same text) as soon as it answers. */
function firstRender(): Plugin {
  const id = "virtual:first-render";
  return {
    name: "eci-bridge-first-render",
    resolveId: (source) => (source === id ? `\0${id}` : null),
    async load(resolved) {
      if (resolved !== `\0${id}`) return null;
      const pkg = path.join(here, "src/pkg");
      const wasm = path.join(pkg, "eci_bridge_wasm_bg.wasm");
      const examples = path.join(here, "src/generated/examples.json");
      if (!fs.existsSync(wasm) || !fs.existsSync(examples)) return "export default null;";
      this.addWatchFile(wasm);
      this.addWatchFile(examples);
      const engine = await import(`${pathToFileURL(path.join(pkg, "eci_bridge_wasm.js")).href}?t=${fs.statSync(wasm).mtimeMs}`);
      engine.initSync({ module: fs.readFileSync(wasm) });
      const pods: { name: string; text: string }[] = JSON.parse(fs.readFileSync(examples, "utf8")).pods ?? [];
      const example = pods.find((e) => e.name === FIRST_EXAMPLE) ?? pods[0];
      if (!example) return "export default null;";
      const files = firstFiles(example.text);
      const started = performance.now();
      const preview = JSON.parse(engine.preview(JSON.stringify({ files }), JSON.stringify({ showSecrets: false })));
      const ms = performance.now() - started;
      return `export default ${JSON.stringify({ example: example.name, files, preview, ms, version: JSON.parse(engine.version()) })};`;
    },
  };
}

// Static files only: relative base so the build works from any directory,
// including file servers and offline copies.
export default defineConfig({
  base: "./",
  plugins: [firstRender()],
  worker: { format: "es" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
