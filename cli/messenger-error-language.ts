// What the messenger's errors say at `unibos msg`, recognised by their stable code (never by their
// English text): the client's own, the cryptography's (also as why a message could not be read) and
// the hub's refusals the client passes on. English is the library's own sentence; a code this
// catalogue lacks is shown as the library wrote it.

import { ATTACHMENT_OVERHEAD_BYTES, MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { GATEWAY_NOT_SENT_PREFIX, GATEWAY_TX_REASONS } from '@unibos/mesh-protocol';
import { cliLang, type CliLang } from './cli-language.ts';

/** An error of the messenger library (MessengerClientError, MessengerCryptoError) as the CLI reads it. */
export interface MessengerFailure {
  code: string;
  message: string;
  /** HTTP status when the hub answered; 0 or absent otherwise. */
  status?: number;
  details?: Readonly<Record<string, unknown>>;
}

/** What the command knows that the error does not carry: the hub's address, the data dir, the node written to. */
export interface MessengerWhere {
  hub?: string;
  dir?: string;
  node?: string;
  /** The error answers a login (email and password). */
  login?: boolean;
}

type Say = (e: MessengerFailure, w: MessengerWhere) => string;

const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
/** The hub's own words, after a Turkish sentence that says what kind of refusal it is (they name what was wrong). */
const hubSaid = (sentence: string): Say => (e) => `${sentence} (merkez: "${e.message}")`;
const session: Say = (e) => `merkez bu oturumu kabul etmiyor (${e.code}): \`unibos msg login\` ile yeniden giriş yapın`;

/** Why a message could not be read (a sync problem's code), and what a thrown crypto error means. */
const READ_TR: Record<string, Say> = {
  E_BASE64URL: () => 'mesaj bozuk: içinde base64url olmayan veri var',
  E_MESSAGE_MALFORMED: () => 'mesaj bozuk: okunabilir bir şifreli mesaj değil',
  E_MESSAGE_TOO_LARGE: () => 'mesaj izin verilenden büyük',
  E_UNSUPPORTED_VERSION: () => 'mesaj bu sürümün bilmediği bir biçimde: UNIBOS’u güncelleyin',
  E_BAD_KEY: () => 'mesajdaki anahtar geçersiz',
  E_UNKNOWN_PREKEY: () => 'mesaj, bu cihazda olmayan (artık ya da hiç) tek kullanımlık bir ön anahtarla başlıyor',
  E_DECRYPT_FAILED: () => 'mesajın şifresi çözülemedi: yolda bozulmuş ya da başka bir anahtarla şifrelenmiş',
  E_REPLAY: () => 'bu mesaj daha önce alınmıştı: yeniden oynatma olarak reddedildi',
  E_TOO_MANY_SKIPPED: () => 'bu mesajdan önce gelmeyen mesaj sayısı, bir oturumun anahtar sakladığından fazla',
  E_NO_SESSION: () => 'bu cihazla henüz oturum yok ve bu mesaj bir oturum başlatmıyor',
  E_EARLY_MESSAGE: () => 'zincirinde ondan önceki mesajlar hiç gelmedi, bu yüzden açılamıyor',
  // Both a node whose key is not the pinned one and the oldest of more than 1000 messages held for a key change (messenger-client's HELD_KEPT).
  E_KEY_CHANGED: () => 'gönderenin kimlik anahtarı burada sabitlenmiş olan değil ve değişiklik kabul edilmedi: mesaj okunmadan bırakıldı',
  E_DEVICE_REVOKED: () => 'gönderen cihaz iptal edilmiş: ondan bir şey kabul edilmez',
  E_BAD_SIGNATURE: () => 'imza doğrulanamadı: mesaj gönderenden gelmiyor ya da değiştirilmiş',
  E_UNKNOWN_SENDER_KEY: () => 'gönderenin grup anahtarı gelmedi ya da bu cihaz gönderildiğinde üye değildi',
  E_NOT_A_MEMBER: () => 'gönderen bu konuşmanın üyesi değil (ya da artık değil): mesajı burada gösterilmez',
  E_CONTENT_MALFORMED: () => 'mesajın içeriği bozuk ya da merkezin onun için bildirdikleriyle uyuşmuyor',
  E_CONVERSATION_CHANGED: () => 'merkez bu konuşmayı bu cihazın ilk gördüğünden başka gösteriyor (türü ya da doğrudan mesajlaşmadaki kişiler değişmiş): mesaj açılmadı',
  E_STATE_MALFORMED: () => 'bu cihazın kayıtlı mesajlaşma durumu bozuk',
  E_TEXT_TOO_LONG: () => 'mesajın metni izin verilenden uzun',
  E_BUNDLE_MALFORMED: () => 'karşı tarafın anahtar paketi bozuk',
  E_BUNDLE_BAD_KEY: () => 'karşı tarafın anahtar paketinde geçersiz bir anahtar var',
  E_BUNDLE_BAD_SIGNATURE: () => 'karşı tarafın anahtar paketinin imzası tutmuyor',
  E_BUNDLE_TOO_MANY_PREKEYS: () => 'karşı tarafın anahtar paketinde izin verilenden çok ön anahtar var',
  E_BUNDLE_DUPLICATE_PREKEY: () => 'karşı tarafın anahtar paketinde aynı ön anahtar iki kez var',
};

/** A thrown error (a command failed): the client's codes, the hub's, and the cryptography's. */
const ERROR_TR: Record<string, Say> = {
  ...READ_TR,
  // The hub and the way to it.
  E_HUB_UNREACHABLE: (_e, w) => `${w.hub ? `${w.hub} adresindeki merkeze` : 'merkeze'} ulaşılamadı: ağ bağlantısını ve adresi denetleyip yeniden deneyin`,
  E_HUB_ANSWER: (e) =>
    e.status
      ? `merkez beklenmedik bir yanıt verdi (HTTP ${e.status}); adres bir UNIBOS merkezinin mi?`
      : e.details?.conversationId !== undefined
        ? 'merkez bu konuşma için üyeleriyle uyuşmayan cihazlar listeliyor (üye olmayan birinin cihazı ya da eksik üyeler): hiçbir şey gönderilmedi'
        : 'merkez geçerli sıra numaraları olmayan bir gelen kutusu sayfası gönderdi: ondan hiçbir şey alınmadı',
  E_AUTH_REQUIRED: session,
  E_AUTH_INVALID: (e, w) => (w.login ? 'e-posta ya da parola yanlış' : session(e, w)),
  E_AUTH_EXPIRED: session,
  E_AUTH_REUSED: () => 'bu oturumun yenileme anahtarı ikinci kez kullanıldı: bu girişin bütün oturumları kapatıldı; `unibos msg login` ile yeniden giriş yapın',
  E_LOGIN_THROTTLED: () => 'bu hesapla çok fazla başarısız giriş denendi: biraz bekleyip yeniden deneyin ya da daha önce giriş yapılmış bir cihazdan girin',
  E_RATE_LIMITED: () => 'merkez şu anda çok fazla istek alıyor: biraz bekleyip yeniden deneyin',
  E_INTERNAL: (e) => `merkezde bir iç hata oluştu${e.status ? ` (HTTP ${e.status})` : ''}: merkezin günlüğüne bakın`,
  E_CONFIG: () => 'merkezin ayarlarında bir sorun var: merkezin günlüğüne bakın',
  E_FORBIDDEN: hubSaid('merkez buna izin vermiyor'),
  E_NOT_FOUND: (e, w) => (w.node ? hubSaid(`merkez ${w.node} cihazını bu kuruluşun filosunda bulamadı ya da onun kimlik anahtarını henüz bilmiyor`)(e, w) : hubSaid('merkezde bulunamadı')(e, w)),
  E_CONFLICT: hubSaid('merkez bunu mevcut bir kayıtla çakıştığı için reddetti'),
  E_LIMIT_REACHED: hubSaid('bir sınıra ulaşıldı'),
  E_TOO_LARGE: hubSaid('merkez için fazla büyük'),
  E_UNAVAILABLE: (e, w) => (w.node ? `son zamanlarda hiçbir ağ geçidi ${w.node} cihazını duymadı: ona hiçbir şey ulaşamaz` : hubSaid('merkez bunu şu anda yapamıyor')(e, w)),
  E_BAD_BUNDLE: hubSaid('merkez bu cihazın anahtar paketini reddetti'),
  E_BAD_REQUEST: (e, w) => (e.status ? hubSaid('merkez isteği geçersiz buldu')(e, w) : `geçersiz istek (${e.message})`),
  E_SETUP_DONE: () => 'merkezin kurulumu tamam: bunun yerine giriş yapın',
  E_TOKEN_KIND: hubSaid('anahtar başka türde bir cihaz için yapılmış'),
  E_PROOF_REQUIRED: () => 'merkez cihazın anahtarıyla bir kanıt istiyor',
  E_PROOF_INVALID: () => 'merkez cihazın anahtar kanıtını geçersiz buldu',
  E_CHALLENGE_INVALID: () => 'merkezin sınaması geçersiz ya da süresi dolmuş: yeniden deneyin',
  // The client's own.
  E_KEY_CHANGED: (e) => {
    const node = str(e.details?.nodeId);
    if (node) return `${node} cihazının kimlik anahtarı, burada sabitlenmiş olan değil: hiçbir şey gönderilmedi`;
    const user = str(e.details?.userId);
    return `${user ? `${user} kişisinin` : 'bir konuşma ortağının'} anahtarları değişti (yeni ya da yeniden kurulmuş bir cihaz): göndermeden önce güvenlik numaralarını karşılaştırıp değişikliği kabul edin`;
  },
  E_CONVERSATION_CHANGED: () => 'merkez bu konuşmayı bu cihazın ilk gördüğünden başka gösteriyor (doğrudan mesajlaşma bir gruba çevrilmiş ya da başka biriyle yapılıyormuş gibi): içine hiçbir şey gönderilmedi ve hiçbir şey açılmadı',
  E_KEYS_CHANGED_AGAIN: (e) => {
    const user = str(e.details?.userId);
    const number = str(e.details?.safetyNumber);
    return `${user ? `${user} kişisinin` : 'konuşma ortağının'} anahtarları, güvenlik numarası gösterildikten sonra yeniden değişti: hiçbir şey kabul edilmedi${number ? `; şimdiki numara ${number}, onu karşılaştırın` : '; yeni numarayı karşılaştırın'}`;
  },
  E_BAD_KEY: (e) => {
    const node = str(e.details?.nodeId);
    return node ? `merkezin ${node} için verdiği kimlik anahtarı o cihazın değil (cihaz kimliği anahtarının özetidir): hiçbir şey gönderilmedi` : 'geçersiz bir anahtar';
  },
  E_DEVICE_REVOKED: () => 'bu cihaz merkezde artık kayıtlı değil (iptal edildi): `unibos msg login` ile yeniden kurun',
  E_DEVICES_CHANGED: () => 'konuşmanın cihazları gönderim sırasında tekrar tekrar değişti: hiçbir şey gönderilmedi; yeniden deneyin',
  E_NO_DEVICES: (e) => {
    const user = str(e.details?.userId);
    return user ? `${user} kişisinin henüz mesajlaşma cihazı yok (mesajlaşmayı bir kez açmalı): hiçbir şey gönderilmedi` : 'bu konuşmada başka kimsenin henüz mesajlaşma cihazı yok: hiçbir şey gönderilmedi';
  },
  E_STATE_MALFORMED: (_e, w) => `bu cihazın kayıtlı mesajlaşma durumu${w.dir ? ` (${w.dir})` : ''} okunamıyor: bozuk ya da başka bir sürümden`,
  E_STATE_SEALED: () => 'bu tarayıcı mesajlaşma anahtarlarını güvenli bir sayfada (https ya da localhost) mühürledi; bu düz http sayfası onları açamaz: merkezi o adresle yeniden açın',
  E_STATE_TAKEN: () => 'bu mesajlaşma cihazı bu tarayıcının başka bir sekmesinde açıldı ve onu devraldı: buradan artık bir şey gönderilmez; burada kullanmak için sayfayı yenileyin',
  E_TEXT_TOO_LONG: (e) => {
    const max = str(e.details?.maxBytes);
    const bytes = str(e.details?.bytes);
    if (max) return `bir cihaza doğrudan mesaj en çok ${max} bayt metin (UTF-8) taşır${bytes ? `; bu mesaj ${bytes} bayt` : ''}`;
    return `bir mesaj en çok ${MESSENGER_LIMITS.maxTextChars} karakter olabilir`;
  },
  E_MESSAGE_TOO_LARGE: () => 'mesaj izin verilenden büyük: büyük içeriği ek olarak gönderin',
  E_ATTACHMENT_TOO_LARGE: () => `bir ek en çok ${MESSENGER_LIMITS.maxAttachmentBytes - ATTACHMENT_OVERHEAD_BYTES} bayt olabilir`,
  E_ATTACHMENT_CORRUPT: () => 'ek açılmıyor: bozuk ya da değiştirilmiş',
  E_NO_SESSION: () => 'bu cihazla henüz bir oturum yok',
};

/** The codes this catalogue translates (tests check every code the messenger can raise is here). */
export const MESSENGER_ERROR_CODES: readonly string[] = Object.keys(ERROR_TR);
export const MESSENGER_READ_CODES: readonly string[] = Object.keys(READ_TR);

/** A messenger error in the CLI's language. */
export function sayMessengerError(e: MessengerFailure, where: MessengerWhere = {}, lang: CliLang = cliLang()): string {
  const tr = lang === 'tr' ? ERROR_TR[e.code] : undefined;
  return tr ? tr(e, where) : e.message;
}

/** Why a message could not be read (a sync problem's code and reason) in the CLI's language. */
export function sayReadProblem(code: string, reason: string, lang: CliLang = cliLang()): string {
  const tr = lang === 'tr' ? READ_TR[code] : undefined;
  return tr ? tr({ code, message: reason }, {}) : reason;
}

/** The error of a message to a mesh node as the hub reports it: the gateway's reasons and the mesh's routing errors. */
const DELIVERY_TR: Record<string, string> = {
  [GATEWAY_TX_REASONS.gaveUp]: 'ağ geçidinin telsizi vazgeçti: kimseden alındı bilgisi gelmedi',
  [GATEWAY_TX_REASONS.evicted]: 'ağ geçidinin dolu giden kutusundan daha acil mesajlar yüzünden çıkarıldı',
  [GATEWAY_TX_REASONS.routerRefused]: 'ağ geçidinin ağ yönlendiricisi reddetti',
  [GATEWAY_TX_REASONS.undecodable]: 'ağ geçidi sakladığı kopyayı okuyamadı',
  [GATEWAY_TX_REASONS.refused]: 'ağ geçidi reddetti',
  [GATEWAY_TX_REASONS.noPrivate]: 'bu ağ geçidi özel mesaj taşıyamaz',
  [GATEWAY_TX_REASONS.interrupted]: 'ağ geçidi bunu sıraya koyarken yeniden başladı ve mesaj giden kutusunda yok: gitmiş de olabilir, gitmemiş de; bu yüzden yeniden gönderilmiyor',
  [GATEWAY_TX_REASONS.switchInterrupted]: 'ağ geçidi, cihaz anahtarı onaylamadan yeniden başladı; anahtar yeniden değiştirilmiyor',
  [GATEWAY_TX_REASONS.staleBroadcast]: 'bu yayını bir saat içinde hiçbir ağ geçidi almadı, bu yüzden vazgeçildi: hâlâ geçerliyse yeniden gönderin',
  NO_ROUTE: 'cihaza giden yol yok',
  TIMEOUT: 'zaman aşımı',
  MAX_RETRANSMIT: 'her denemeden sonra da alındı bildirimi gelmedi',
  NO_CHANNEL: 'cihaz aynı kanalda değil',
  TOO_LARGE: 'telsiz için fazla büyük',
  DUTY_CYCLE: 'telsizin yayın süresi sınırına ulaşıldı',
  NO_RESPONSE: 'cihaz yanıt vermedi',
  BAD_REQUEST: 'cihaz onu okuyamadı',
  NOT_OPENED: 'cihaz aldı ama açamadı (verileri kaybolmuş ya da yeniden kurulmuş); sonraki mesaj yeni bir oturum başlatır',
};

/** A mesh delivery's error (a routing code or a gateway's reason) in the CLI's language; one not known as it came. */
export function sayDeliveryError(error: string, lang: CliLang = cliLang()): string {
  if (lang !== 'tr') return error;
  const notSent = error.startsWith(GATEWAY_NOT_SENT_PREFIX);
  const reason = notSent ? error.slice(GATEWAY_NOT_SENT_PREFIX.length) : error;
  const known = DELIVERY_TR[reason];
  if (!known) return error;
  return notSent ? `gönderilmedi: ${known}` : known;
}
