import { EMBEDDED_SHARED_BUFFERS_MB } from '../config.js';
import { TEMPLATE_ARCHIVE, makeTemplate } from '../db/initdb-template.js';

// `npm run pglite-template`: make vendor/pglite-initdb.tar.gz again after PGlite was upgraded
// (src/db/initdb-template.ts says why it exists).
const made = await makeTemplate(EMBEDDED_SHARED_BUFFERS_MB);
console.log(`Wrote ${TEMPLATE_ARCHIVE} (${made.bytes} bytes, PGlite ${made.pglite}).`);
