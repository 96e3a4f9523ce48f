// Copy the MapLibre GL JS build from node_modules into the Python package, so the analyst
// page is served by `stswatch serve` with nothing fetched from a CDN. Run: npm ci && npm run build
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "node_modules", "maplibre-gl");
const out = join(here, "..", "src", "stswatch", "serve", "static", "vendor");
// The CSP build loads its worker from a file (setWorkerUrl) instead of a blob: URL.
const files = {
  "dist/maplibre-gl-csp.js": "maplibre-gl-csp.js",
  "dist/maplibre-gl-csp-worker.js": "maplibre-gl-csp-worker.js",
  "dist/maplibre-gl.css": "maplibre-gl.css",
  "LICENSE.txt": "maplibre-gl-LICENSE.txt",
};

mkdirSync(out, { recursive: true });
const pkg = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
for (const [from, to] of Object.entries(files)) {
  copyFileSync(join(src, from), join(out, to));
}
writeFileSync(
  join(out, "VERSIONS.txt"),
  `maplibre-gl ${pkg.version} (${pkg.license}), from npm; copied by web/copy-vendor.mjs\n`,
);
console.log(`copied maplibre-gl ${pkg.version} into ${out}`);
