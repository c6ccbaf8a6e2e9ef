// A diagnostic third broker: aedes 1.2 as it comes (in-memory persistence, no auth or ACL hooks),
// in this process like the gateway's. Where the gateway trails mosquitto, this row says how much
// is aedes itself and how much is what the gateway adds (LevelDB persistence, auth, ACL, guards).

import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface BareAedes {
  readonly port: number;
  close(): Promise<void>;
}

export async function startBareAedes(): Promise<BareAedes> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
