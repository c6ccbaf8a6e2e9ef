// What a conversation's composer holds, by thread pane, then conversation. Live updates redraw a
// thread, and opening another conversation or going back to the list replaces it: neither may lose
// what was written, the expiry chosen (a message meant to disappear must not go out to stay) or
// the file picked, nor carry them into another conversation.

/**
 * `sending`: the id of a send that went unanswered (the connection dropped), with what it sent: the
 * same message sent again keeps that id, so the hub keeps one copy if the first did arrive.
 * `edit`: the new text of one's own message being edited, so a redraw keeps it too.
 * `inFlight`: a send is on its way (not answered yet): a redraw shows it read-only, Send waiting.
 * @typedef {{ text: string, expiry: string, files: FileList | null, sending: { clientId: string, text: string, expiry: string, file: File | null } | null, edit: { id: string, text: string } | null, inFlight: boolean }} Draft
 */

/** @type {WeakMap<HTMLElement, Map<string, Draft>>} */
const drafts = new WeakMap();

/**
 * The draft of conversation `key` shown in `pane` (created empty); the composer writes into it.
 * @param {HTMLElement} pane
 * @param {string} key
 * @returns {Draft}
 */
export function draftOf(pane, key) {
  let byConversation = drafts.get(pane);
  if (!byConversation) drafts.set(pane, (byConversation = new Map()));
  let draft = byConversation.get(key);
  if (!draft) byConversation.set(key, (draft = { text: '', expiry: '', files: null, sending: null, edit: null, inFlight: false }));
  return draft;
}
