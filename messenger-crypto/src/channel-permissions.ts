// What a channel's plain members may send, one definition for the hub (which refuses the rest) and
// the clients (which check it before encrypting: a refused send would already have moved ratchets on).

/** A member reads and reacts; the sender key makes its reactions and receipts readable. Admins post. */
export const CHANNEL_MEMBER_KINDS: readonly string[] = Object.freeze(['sender-key', 'reaction', 'read', 'typing']);

/** Whether someone with conversation role `role` may send a message of `kind` in a channel. */
export function maySendInChannel(role: string, kind: string): boolean {
  return role !== 'member' || CHANNEL_MEMBER_KINDS.includes(kind);
}
