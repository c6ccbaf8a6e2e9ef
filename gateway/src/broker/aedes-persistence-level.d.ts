// Types for the parts of aedes-persistence-level (CommonJS, untyped) the gateway broker touches;
// everything else it offers is aedes' business and stays opaque.

declare module 'aedes-persistence-level' {
  export interface LevelPersistence {
    /** Resolves with the stored inbound QoS 2 packet; rejects when there is none. */
    incomingGetPacket(client: { readonly id: string }, packet: { readonly messageId?: number }): Promise<unknown>;
    /** Closes the level database it was given. */
    destroy(): Promise<void>;
  }
  export default function aedesPersistenceLevel(db: object): LevelPersistence;
}
