// How long a text or alert text may be to go into the mesh, in UTF-8 bytes (what a frame counts; a
// Turkish letter can take two): each fits one frame with its Data fields (test/text-limits.test.ts).
// The hub refuses longer ones when they are sent, the Send screen counts the same, and a module that
// composes a text from outside data (a quake feed's place name) shortens that part to fit.

/** A text to one node or to everyone. */
export const MESH_TEXT_MAX_BYTES = 200;
/** A node's long name, in UTF-8 bytes: it travels in every announcement (NodeInfo). */
export const NODE_NAME_MAX_BYTES = 39;
/** An alert's text (its level and magnitude travel beside it). */
export const MESH_ALERT_TEXT_MAX_BYTES = 160;
/**
 * A sealed private message (messenger-crypto's encoding) as one frame carries it: 22 of the
 * frame's 222 Data bytes stay for the protobuf wrapping (field tag, length, reply/request ids).
 * The messenger, the node, the gateway's `direct` command and the hub all take it from here.
 */
export const MESH_DIRECT_MAX_BYTES = 200;

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `text` holds half of a UTF-16 surrogate pair (`\ud800` alone; a pair is one code point
 * under /u): no character, with no UTF-8 form (encoded, it becomes bytes no UTF-8 reader takes, or
 * U+FFFD). Every hop refuses such text: the frame codec, and the hub's and a node's APIs at their door.
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * At most `maxChars` characters of `text` (code points: an emoji is never cut in half), each half of
 * a UTF-16 pair that came alone (from outside JSON, `"\ud83d"`) as U+FFFD: text from outside that a
 * frame, SQLite or a screen can carry as it is.
 */
export function cutChars(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  const chars = [...text];
  const kept = chars.length > maxChars ? chars.slice(0, maxChars) : chars;
  return kept.map((ch) => (LONE_SURROGATE.test(ch) ? '\uFFFD' : ch)).join('');
}

const ELLIPSIS = '…';

/**
 * `text` cut to at most `maxBytes` of UTF-8 at a character boundary, with an ellipsis where it was
 * cut; unchanged when it fits.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  const budget = maxBytes - encoder.encode(ELLIPSIS).length;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = encoder.encode(ch).length;
    if (used + size > budget) break;
    out += ch;
    used += size;
  }
  return budget < 0 ? '' : out + ELLIPSIS;
}
