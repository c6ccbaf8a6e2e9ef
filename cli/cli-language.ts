// The CLI's language for what it says to people: Turkish when UNIBOS_LANG, LC_ALL, LC_MESSAGES or
// LANG says so (tr, tr_TR.UTF-8), else English. Messages are whole sentences with named
// placeholders, keyed by their English text, so no sentence is glued together from parts.

const TR: Record<string, string> = {
  'usage: unibos <command> [options]': 'kullanım: unibos <komut> [seçenekler]',
  commands: 'komutlar',
  "Run 'unibos <command> --help' for a command's options.": "Bir komutun seçenekleri için 'unibos <komut> --help' çalıştırın.",
  "unknown command '{name}'": "bilinmeyen komut '{name}'",
  'simulate a LoRa mesh and compare flooding strategies': 'bir LoRa ağını benzet ve yayma stratejilerini karşılaştır',
  'run this machine as a field device (LoRa modem or simulated radio)': 'bu makineyi saha cihazı olarak çalıştır (LoRa modem veya benzetilmiş telsiz)',
  'run a gateway: a node plus MQTT broker, mesh bridge and hub uplink': 'ağ geçidi çalıştır: cihaz, MQTT aracısı, ağ köprüsü ve merkez bağlantısı',
  'run the hub: API, admin UI, event stream and the broker gateways connect to': 'merkezi çalıştır: API, yönetim arayüzü, olay akışı ve ağ geçitlerinin bağlandığı aracı',
  'run hub, gateway and simulated nodes together on this machine (npm start)': 'merkez, ağ geçidi ve benzetilmiş cihazları bu makinede birlikte çalıştır (npm start)',
  'run the simulated radio air that simulated nodes join': 'benzetilmiş cihazların katıldığı benzetilmiş telsiz ortamını çalıştır',
  'list SPI LoRa boards; probe one (or its emulated chip) and say how to fix it': 'SPI LoRa kartlarını listele; birini (veya benzetilmiş yongasını) sına ve nasıl düzeltileceğini söyle',
  'show what the running node is doing': 'çalışan cihazın ne yaptığını göster',
  'list the nodes the running node has heard': 'çalışan cihazın duyduğu cihazları listele',
  'send a text through the running node': 'çalışan cihaz üzerinden mesaj gönder',
  'raise (or end, with --safe) an SOS on the running node': 'çalışan cihazda SOS başlat (veya --safe ile bitir)',
  'list texts and alerts the running node received': 'çalışan cihazın aldığı mesajları ve uyarıları listele',
  'list, enable, disable, configure and create modules': 'modülleri listele, aç, kapat, ayarla ve oluştur',
  'build the device bundle, write unibos.json for a flashed card, first boot': 'cihaz paketini derle, yazılmış kart için unibos.json yaz, ilk açılış',
  "--node {name}: no such node; the demo's nodes are {list}": "--node {name}: böyle bir cihaz yok; demodaki cihazlar: {list}",
  '--node {name}: no demo nodes are known ({file} is missing); start them with `npm start`, or name the node\'s folder with --data-dir':
    "--node {name}: bilinen demo cihazı yok ({file} bulunamadı); `npm start` ile başlatın veya cihazın klasörünü --data-dir ile verin",
  '--node and --data-dir both name a node: give one': '--node ve --data-dir ikisi de bir cihaz belirtiyor: birini verin',
  "no node is running with data dir {dir}, but the demo's nodes are: {list}; pick one with --node NAME (e.g. --node {example})":
    '{dir} klasörüyle çalışan cihaz yok, ama demodaki cihazlar şunlar: {list}; birini --node AD ile seçin (ör. --node {example})',
  'UNIBOS demo is running: a hub, gateway {gateway} and {count} simulated nodes on a simulated {preset} radio.':
    'UNIBOS demosu çalışıyor: bir merkez, {gateway} ağ geçidi ve benzetilmiş {preset} telsizinde {count} benzetilmiş cihaz.',
  'Admin UI': 'Yönetim',
  Login: 'Giriş',
  Password: 'Parola',
  'API docs': 'API belgeleri',
  Sensors: 'Sensörler',
  State: 'Durum',
  Nodes: 'Cihazlar',
  "(user demo-weather; add your own with 'unibos gateway device add ID --data-dir {dir}')": "(kullanıcı demo-weather; kendi sensörünüzü 'unibos gateway device add ID --data-dir {dir}' ile ekleyin)",
  '(--fresh starts over)': '(--fresh baştan başlatır)',
  'ask one: {command} (also peers, inbox, send, sos)': 'birine sorun: {command} (peers, inbox, send, sos da olur)',
  'Nodes appear on the map within a minute. About 90 s after start a (fixture) earthquake strikes nearby:\nopen Modules to see the alert and the check-in round as the nodes answer. Ctrl-C stops everything.':
    'Cihazlar bir dakika içinde haritada görünür. Başlangıçtan yaklaşık 90 sn sonra yakında (örnek) bir deprem olur:\nuyarıyı ve cihazlar yanıt verdikçe yoklama turunu görmek için Modüller’i açın. Ctrl-C her şeyi durdurur.',
};

export type CliLang = 'en' | 'tr';

export function cliLang(env: NodeJS.ProcessEnv = process.env): CliLang {
  for (const v of [env.UNIBOS_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG]) {
    if (!v) continue;
    return /^tr([_.-]|$)/i.test(v) ? 'tr' : 'en';
  }
  return 'en';
}

/** The message in the CLI's language with its placeholders filled. */
export function say(key: string, params: Record<string, string | number> = {}, lang: CliLang = cliLang()): string {
  const text = lang === 'tr' ? (TR[key] ?? key) : key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Every key has its Turkish (tests). */
export const CLI_TURKISH = TR;
