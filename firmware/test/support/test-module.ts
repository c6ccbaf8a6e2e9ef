// A valid module.json for a test module; `patch` changes what a case needs.

export function testManifest(name: string, patch: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name,
    version: '1.0.0',
    description: `${name} (test module)`,
    author: 'test',
    license: 'MIT',
    category: 'iot',
    dependencies: { core: '>=0.1.0' },
    capabilities: {},
    platforms: ['linux', 'macos', 'windows', 'raspberry_pi'],
    permissions: { events: { subscribe: ['mesh.alert'] } },
    entry: { device: 'handler.js' },
    ...patch,
  });
}
