// How a person's name checked in by hand is compared: "İSMAİL", "İsmail", "Ismail" and "Ayşe Yılmaz "
// typed by different admins (some without a Turkish keyboard) are one person in a round.

/** The name as shown: as first written, without the spaces around it or doubled inside it. */
export function personDisplayName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/**
 * The key two spellings of one name share: NFC, trimmed, lower-cased by Turkish rules (İ -> i,
 * I -> ı), then without accents and with ı as i. Dotless and dotted i are different letters in
 * Turkish, but a name typed on a phone or a keyboard without them ("Ismail", "Ayse Yilmaz") is the
 * same person to the admin who types it; two entries would leave "needs help" standing after that
 * person was checked in safe. Two different people whose names differ only by those marks are
 * rarer than that, and the admin sees the name as first written.
 */
export function personKey(name: string): string {
  return personDisplayName(name)
    .toLocaleLowerCase('tr')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/ı/gu, 'i');
}
