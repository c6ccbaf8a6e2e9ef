// Starts the motion worker process from the TypeScript sources (a checkout run through tsx),
// whether or not the parent was started with tsx: it registers tsx's loader, then imports the
// .ts entry named in argv. A bundle forks the compiled motion-worker.js directly.
const { register } = await import('tsx/esm/api');
register();
await import(process.argv[2]);
