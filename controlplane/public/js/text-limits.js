// How long a text may be where the browser counts it before sending: the mesh's limits are UTF-8
// bytes (a Turkish letter can take two), the messenger's are characters. Each is the value of the
// library that enforces it (test/downlink-size.test.ts checks they are the same).

/** mesh-protocol MESH_TEXT_MAX_BYTES: a text to one node or to everyone, one frame. */
export const MESH_TEXT_MAX_BYTES = 200;
/** mesh-protocol MESH_ALERT_TEXT_MAX_BYTES: an alert's text (its level travels beside it). */
export const MESH_ALERT_TEXT_MAX_BYTES = 160;
/** messenger-crypto MESH_DIRECT_MAX_TEXT_BYTES: an end-to-end message to a node (the client library refuses more with E_TEXT_TOO_LONG). */
export const MESH_DIRECT_MAX_TEXT_BYTES = 117;
/** messenger-crypto LIMITS.maxTextChars: a messenger text between people. */
export const MESSENGER_MAX_TEXT_CHARS = 4000;

const encoder = new TextEncoder();
/** @param {string} text @returns {number} its length in UTF-8 bytes, as a frame counts it */
export const utf8Bytes = (text) => encoder.encode(text).length;
