// Build the one-map page and the ledger page into src/guotu/web/static (served at / by the Python server).
// Everything comes from node_modules: no CDN at build or run time.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'src', 'guotu', 'web', 'static');
const maplibre = join(here, 'node_modules', 'maplibre-gl', 'dist');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

// Two pages: the one map (index.html, app.js) and the land ledger (ledger.html, ledger.js), each one
// bundle with MapLibre.
for (const page of ['app', 'ledger']) {
  await build({
    entryPoints: [join(here, 'src', `${page}.js`)],
    outfile: join(out, `${page}.js`),
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    legalComments: 'inline',
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(here, 'src', `${page}.css`)],
    outfile: join(out, `${page}.css`),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
}
// MapLibre's worker runs as a separate module script; it is already minified. Named .js so that every
// server sends it as JavaScript.
await copyFile(join(maplibre, 'maplibre-gl-worker.mjs'), join(out, 'maplibre-gl-worker.js'));
await copyFile(join(maplibre, 'maplibre-gl.css'), join(out, 'maplibre-gl.css'));
await copyFile(join(here, 'src', 'index.html'), join(out, 'index.html'));
await copyFile(join(here, 'src', 'ledger.html'), join(out, 'ledger.html'));
// Swagger UI for /docs, served from here too: the API documentation works on an offline intranet.
const swagger = join(here, 'node_modules', 'swagger-ui-dist');
await mkdir(join(out, 'swagger'), { recursive: true });
for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png']) {
  await copyFile(join(swagger, name), join(out, 'swagger', name));
}
console.log(`built ${out}`);
