// How long a person's password must be: the hub's accounts, and the first admin a flashed card's
// unibos.json creates (checked on the computer that writes the card, before it is ever booted).

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;
