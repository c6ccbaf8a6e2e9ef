// Starts a module's thread from the TypeScript sources (a checkout run through tsx): a worker does
// not inherit the tsx loader of the thread that made it, so it registers tsx's own, for ES modules
// and CommonJS as `node --import tsx` does (a handler file with `export` in a folder without
// "type": "module" is still read as a module), then loads the .ts entry. A bundle starts the
// compiled module-worker.js directly.
const [{ register: registerEsm }, { register: registerCjs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
registerEsm();
registerCjs();
await import(new URL('./module-worker.ts', import.meta.url).href);
