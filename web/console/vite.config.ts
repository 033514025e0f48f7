import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by ingress at /console/: every asset is bundled, hashed and loaded from there (no CDN, nothing inline).
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The CSP allows no inline script: never inline assets as data: scripts, and no module-preload polyfill.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
