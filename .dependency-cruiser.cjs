/**
 * The layers of src/ (docs/CONVENTIONS.md): arrows point down only.
 *   wire → proto → roles → config → (sim | io) → cli
 * sim and io never import each other; roles (and below) read no files and open no sockets;
 * sim opens no sockets. `npm test` runs this check (test/layers.test.ts).
 */
const layers = ['wire', 'proto', 'roles', 'config', 'sim|io', 'cli'];
const above = (i) => layers.slice(i + 1).join('|');
const upward = layers.slice(0, -1).map((name, i) => ({
  name: `no-upward-from-${name.replace('|', '-')}`,
  comment: `src/${name} may import only lower layers (${layers.slice(0, i).join(', ') || 'none'}) and itself`,
  severity: 'error',
  from: { path: `^src/(${name})/` },
  to: { path: `^src/(${above(i)})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    { name: 'sim-not-io', comment: 'the in-process simulation and the real I/O never import each other', severity: 'error', from: { path: '^src/sim/' }, to: { path: '^src/io/' } },
    { name: 'io-not-sim', comment: 'the real I/O and the in-process simulation never import each other', severity: 'error', from: { path: '^src/io/' }, to: { path: '^src/sim/' } },
    { name: 'no-circular', comment: 'no import cycle anywhere in src/', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    { name: 'engines-read-no-files', comment: 'codecs, machines and roles read no files and own no socket', severity: 'error', from: { path: '^src/(wire|proto|roles)/' }, to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|dgram|net|http|https|child_process)$' } },
    { name: 'sim-owns-no-socket', comment: 'the in-process network owns no socket: real I/O is passed in', severity: 'error', from: { path: '^src/sim/' }, to: { dependencyTypes: ['core'], path: '^(node:)?(dgram|net|http|https)$' } },
    { name: 'src-not-tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench|fuzz)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
