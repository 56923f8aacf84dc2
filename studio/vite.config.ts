// The studio is built into the Python package (api/studio_static) and served by
// `beatstitch api` at `/`, same origin as the API: no dev server, no proxy, no CDN.
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [preact()],
  base: "/",
  build: {
    outDir: "../api/studio_static",
    emptyOutDir: true,
    // The page's Content-Security-Policy allows no inline script: keep everything in files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
