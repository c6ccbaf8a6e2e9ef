// Types for the parts of aedes-persistence-level (CommonJS, untyped) the gateway broker touches;
// everything else it offers is aedes' business and stays opaque.

declare module 'aedes-persistence-level' {
  export interface LevelPersistence {
    /** Resolves with the stored inbound QoS 2 packet; rejects when there is none. */
    incomingGetPacket(client: { readonly id: string }, packet: { readonly messageId?: number }): Promise<unknown>;
    /** The subscriptions of persistent sessions (online or not) that match `topic`: a QoS 1/2 message is stored for each. */
    subscriptionsByTopic(topic: string): Promise<unknown[]>;
    /** The subscriptions stored for a client id (a persistent session's, whether it is connected or not). */
    subscriptionsByClient(client: { readonly id: string }): Promise<unknown[] | null>;
    addSubscriptions(...args: unknown[]): Promise<void>;
    removeSubscriptions(...args: unknown[]): Promise<void>;
    cleanSubscriptions(...args: unknown[]): Promise<void>;
    /** Removes the client id's inbound QoS 2 packets (and, wrapped by session-aware-persistence.ts, its queue). */
    cleanIncoming(client: { readonly id: string; readonly clean?: boolean }): Promise<void>;
    /** Stores a retained message (an empty payload clears the topic's). */
    storeRetained(packet: { readonly topic: string; readonly payload: Buffer | string; readonly retain?: boolean }): Promise<void>;
    /** Stores a client's will at CONNECT (rewritten at each). */
    putWill(client: unknown, packet: { readonly topic: string; readonly payload: Buffer | string }): Promise<void>;
    /** The retained packets whose topics match `pattern` (an MQTT filter). */
    createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer | Uint8Array }>;
    /** Closes the level database it was given. */
    destroy(): Promise<void>;
  }
  export default function aedesPersistenceLevel(db: object): LevelPersistence;
}
