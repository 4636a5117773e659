// Tells Node which module system each build uses, whatever the package's own "type" is.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
writeFileSync(join(dist, 'cjs', 'package.json'), '{"type":"commonjs"}\n');
writeFileSync(join(dist, 'esm', 'package.json'), '{"type":"module"}\n');
