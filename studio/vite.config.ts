// The studio is built into the Python package (api/studio_static) and served by
// `beatstitch api` at `/`, same origin as the API: no dev server, no proxy, no CDN.
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [preact()],
  base: "/",
  // `npm run dev`: live reload while working on the page, the API's routes passed to a
  // running `beatstitch api` (the built page, served by the API, is what ships).
  server: {
    proxy: { "/api": "http://127.0.0.1:8000", "/healthz": "http://127.0.0.1:8000" },
  },
  build: {
    outDir: "../api/studio_static",
    emptyOutDir: true,
    // The page's Content-Security-Policy allows no inline script: keep everything in files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
