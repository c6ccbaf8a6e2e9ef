// The CLI's language for what it says to people: Turkish when UNIBOS_LANG, LC_ALL, LC_MESSAGES or
// LANG says so (tr, tr_TR.UTF-8), else English. Messages are whole sentences with named
// placeholders, keyed by their English text, so no sentence is glued together from parts.

import { HELP_PAGES_TR, NODE_FLAGS_TR } from './help-pages-turkish.ts';

// The node's own errors (firmware), written in English and shown to the person at the keyboard:
// recognised by their English text (sayMessage), so the node needs no language of its own.
const NODE_MESSAGES: Record<string, string> = {
  // The node's own words (firmware's NoRadio and Device), said by `unibos status`, `sos` and `send`.
  // Its config checks, as `unibos image config` and first boot repeat them (cli/image/boot-config.ts).
  "config key preset: {preset} frames take at least {ms} ms on air, over {region}'s {limit} ms dwell limit; choose a faster preset (MediumFast or ShortFast)":
    'config key preset: {preset} çerçeveleri havada en az {ms} ms kalır, {region} bölgesinin {limit} ms kanalda kalma sınırını aşar; daha hızlı bir ön ayar seçin (MediumFast veya ShortFast)',
  "config key txPowerDbm: {power} dBm is over {region}'s limit of {limit} dBm": "config key txPowerDbm: {power} dBm, {region} bölgesinin {limit} dBm sınırının üstünde",
  "config key txPowerDbm: the {board} puts out {out} dBm for {power} (its chip's lowest setting or more, plus its PA's {gain} dB), over {region}'s limit of {limit} dBm":
    "config key txPowerDbm: {board}, {power} için {out} dBm verir (yongasının en düşük ayarı veya üstü, artı yükselticisinin {gain} dB'i), {region} bölgesinin {limit} dBm sınırının üstünde",
  'no radio is set up on this node, so nothing can be sent (on a flashed card, put a unibos.json naming the board and region on its boot partition and reboot)':
    'bu cihazda telsiz ayarlanmadı, bu yüzden hiçbir şey gönderilemez (yazılmış bir SD kartta, önyükleme bölümüne telsiz kartını ve bölgeyi belirten bir unibos.json koyup yeniden başlatın)',
  'no radio is set up: nothing goes on air (on a flashed card, put a unibos.json naming the board and region on its boot partition and reboot)':
    'telsiz ayarlanmadı: yayına hiçbir şey çıkmaz (yazılmış bir SD kartta, önyükleme bölümüne telsiz kartını ve bölgeyi belirten bir unibos.json koyup yeniden başlatın)',
  'no node is running with data dir {dir} (no control socket at {socket}); start one with `unibos node`':
    '{dir} klasörüyle çalışan cihaz yok ({socket} denetim soketi yok); `unibos node` ile birini başlatın',
  'no node is running with data dir {dir} (nothing answers on {socket}, left by a node that stopped); start one with `unibos node`':
    '{dir} klasörüyle çalışan cihaz yok ({socket} yanıt vermiyor, duran bir cihazdan kalmış); `unibos node` ile birini başlatın',
  'not allowed to use {socket}: run as the user the node runs as (on a flashed card the unibos user: sudo -u unibos unibos …)': '{socket} kullanılamıyor: cihazın çalıştığı kullanıcı olarak çalıştırın (yazılmış bir SD kartta unibos kullanıcısı: sudo -u unibos unibos …)',
  'lost the connection to the node at {socket} ({reason})': '{socket} üzerindeki cihazla bağlantı koptu ({reason})',
  'the node with data dir {dir} did not answer within {seconds} s; it may be overloaded or hung (see its log, e.g. journalctl -u unibos-node)':
    '{dir} klasörlü cihaz {seconds} sn içinde yanıt vermedi; aşırı yüklü veya takılmış olabilir (günlüğüne bakın, ör. journalctl -u unibos-node)',
  'the node answered {status} with something that is not JSON': 'cihaz {status} ile JSON olmayan bir yanıt verdi',
  'the node answered {status}': 'cihaz {status} yanıtını verdi',
  'the node failed: {message}': 'cihazda hata: {message}',
  'a node is already running with data dir {dir}': '{dir} klasörüyle zaten çalışan bir cihaz var',
  'text must not be empty': 'metin boş olamaz',
  'text is missing': 'metin eksik',
  'text is {size} bytes encoded; one frame carries at most {max}': 'metin kodlanınca {size} bayt; bir çerçeve en çok {max} bayt taşır',
  'alert is {size} bytes encoded; one frame carries at most {max}': 'uyarı kodlanınca {size} bayt; bir çerçeve en çok {max} bayt taşır',
  'text is {size} bytes of UTF-8; a text may have at most {max} bytes': 'metin UTF-8 ile {size} bayt; bir metin en çok {max} bayt olabilir',
  "alert text is {size} bytes of UTF-8; an alert's text may have at most {max} bytes": 'uyarı metni UTF-8 ile {size} bayt; bir uyarının metni en çok {max} bayt olabilir',
  'the outbox is full: {max} messages are waiting to be sent (the radio may be down or their nodes away); a new text waits until some have gone. An SOS still goes.':
    'giden kutusu dolu: {max} mesaj gönderilmeyi bekliyor (telsiz çalışmıyor veya alıcıları uzakta olabilir); yeni bir metin, bazıları gidene kadar bekler. SOS yine de gider.',
  'the outbox is full: {max} messages are waiting to be sent (the radio may be down or their nodes away); it holds no text this alert could take the place of. An SOS still goes.':
    'giden kutusu dolu: {max} mesaj gönderilmeyi bekliyor (telsiz çalışmıyor veya alıcıları uzakta olabilir); bu uyarının yerini alabileceği bir metin yok. SOS yine de gider.',
  'that is this node': 'bu, bu cihazın kendisi',
  "{node} is a hub user's messenger: a plain text never reaches them; send it private (--private)": '{node} bir merkez kullanıcısının mesajlaşma cihazı: düz metin ona hiç ulaşmaz; özel gönderin (--private)',
  '{value} is not a node id (write it as !1a2b3c4d)': '{value} bir cihaz kimliği değil (!1a2b3c4d biçiminde yazın)',
  'to must be a node id string such as "!1a2b3c4d", not {what}': 'to, "!1a2b3c4d" gibi bir cihaz kimliği olmalı, {what} değil',
  'text must be a string, not {what}': 'metin bir dize olmalı, {what} değil',
  'a private message holds at most {max} bytes of text; this one has {bytes}': 'özel bir mesaj en çok {max} bayt metin taşır; bu mesaj {bytes} bayt',
  'no key for {node} yet: asked it for its node info; send again once it has answered (see unibos peers)':
    '{node} için henüz anahtar yok: cihaz bilgisi istendi; yanıt verince yeniden gönderin (bkz. unibos peers)',
  'a private message goes to one node: give "to"': 'özel mesaj tek bir cihaza gider: "to" verin',
  'no simulated air at {address}: start one with `unibos air`': '{address} adresinde benzetim havası yok: `unibos air` ile birini başlatın',
  'simulated air at {address}: {reason}': '{address} adresindeki benzetim havası: {reason}',
  'unknown board "{name}": choose one of {list}, or give the path of a JSON board profile': 'bilinmeyen kart "{name}": şunlardan birini seçin: {list}, veya bir JSON kart profilinin yolunu verin',
};

// Node's own command-line parser (node:util parseArgs) refuses a flag in English; recognised the
// same way, so an English run prints exactly what Node says.
const ARGS_MESSAGES: Record<string, string> = {
  "Unknown option '{option}'": "bilinmeyen seçenek '{option}'",
  "Unknown option '{option}'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- {quoted}":
    "bilinmeyen seçenek '{option}'. '-' ile başlayan bir argüman vermek için onu komutun sonuna, '--' ardına koyun, ör. '-- {quoted}",
  "Option '{option} <value>' argument missing": "'{option} <değer>' seçeneğinin değeri eksik",
  "Option '{option}' does not take an argument": "'{option}' seçeneği değer almaz",
  "Unexpected argument '{value}'. This command does not take positional arguments": "beklenmeyen argüman '{value}'. Bu komut konumsal argüman almaz",
};

// The hub's refusals a command shows as they came (claims, hub init), recognised the same way.
const HUB_MESSAGES: Record<string, string> = {
  'this token was made for a gateway; make a node token (kind "node") and claim again': 'bu anahtar bir ağ geçidi için yapılmış; bir cihaz anahtarı (kind "node") yapıp yeniden bağlayın',
  'this token was made for a node; make a gateway token (kind "gateway") and claim again': 'bu anahtar bir cihaz için yapılmış; bir ağ geçidi anahtarı (kind "gateway") yapıp yeniden bağlayın',
  'claim token unknown, used or expired': 'bağlama anahtarı bilinmiyor, kullanılmış veya süresi dolmuş',
  'password must have at least {min} characters': 'parola en az {min} karakter olmalı',
  'email: not an email address: {value}': 'e-posta: bir e-posta adresi değil: {value}',
  'setup is done: the hub already has users': 'kurulum tamam: merkezde zaten kullanıcılar var',
};

// The gateway's refusals of a device or its topic rules (`unibos gateway device add`).
const GATEWAY_MESSAGES: Record<string, string> = {
  'device {id} already exists': '{id} cihazı zaten var',
  'invalid device id {id}: use 1-64 of A-Z a-z 0-9 _ -': 'geçersiz cihaz kimliği {id}: A-Z a-z 0-9 _ - karakterlerinden 1-64 tane kullanın',
  'device id {id} is reserved for anonymous clients': '{id} cihaz kimliği anonim istemcilere ayrılmıştır',
  'device {id}: {flag} #{n} ({text}): {message}': '{id} cihazı: {flag} #{n} ({text}): {message}',
  "unknown access '{access}' (expected read, write, readwrite or deny)": "bilinmeyen erişim '{access}' (read, write, readwrite veya deny bekleniyordu)",
  "{topic} is not a valid topic filter ('#' only last, '+' and '#' alone in their level)": "{topic} geçerli bir konu süzgeci değil ('#' yalnızca en sonda, '+' ve '#' kendi düzeylerinde tek başına)",
  'pattern needs a topic': 'bir konu gerekli',
  "expected 'pattern [read|write|readwrite|deny] TOPIC', got {text}": "'pattern [read|write|readwrite|deny] KONU' bekleniyordu, verilen: {text}",
  "'$' topics belong to the broker; no rule can grant {topic}": "'$' konuları aracıya aittir; hiçbir kural {topic} iznini veremez",
  'unknown substitution in {topic} (only %u and %c)': '{topic} içinde bilinmeyen yer değiştirme (yalnızca %u ve %c)',
  '%u and %c must be a whole level, as in tele/%u/#': '%u ve %c, tele/%u/# örneğindeki gibi tam bir düzey olmalı',
  '--deny takes just a topic: it denies reading and writing': '--deny yalnızca bir konu alır: okumayı ve yazmayı engeller',
  'use --deny for a deny rule': 'engelleme kuralı için --deny kullanın',
};

// Why a module on the node is not running (firmware/src/node/module-loader.ts, module-thread.ts,
// module-platform.ts), as `unibos status` shows it after the module's state.
const MODULE_MESSAGES: Record<string, string> = {
  '{file}: no such module in {dir}': '{file}: {dir} içinde böyle bir modül yok',
  'runs on {platforms}; this node is {platform}': '{platforms} üzerinde çalışır; bu cihaz {platform}',
  '{capability} is set, and this node has no {part}': '{capability} ayarlı, ama bu cihazda {part} yok',
  'stuck: it did not answer the node for {seconds} s (a loop that never ends?), so its thread was ended; it stays off until the node restarts':
    'takıldı: cihaza {seconds} sn yanıt vermedi (hiç bitmeyen bir döngü mü?), bu yüzden iş parçacığı sonlandırıldı; cihaz yeniden başlayana kadar kapalı kalır',
  'out of memory: it outgrew its {mb} MB heap, so its thread was ended; it stays off until the node restarts':
    'bellek yetmedi: {mb} MB yığın sınırını aştı, bu yüzden iş parçacığı sonlandırıldı; cihaz yeniden başlayana kadar kapalı kalır',
  'out of memory: it outgrew its {mb} MB of buffers (it held {held} MB), so its thread was ended; it stays off until the node restarts':
    'bellek yetmedi: {mb} MB arabellek sınırını aştı ({held} MB tuttu), bu yüzden iş parçacığı sonlandırıldı; cihaz yeniden başlayana kadar kapalı kalır',
  'its thread exited (code {code}) by itself; it stays off until the node restarts': 'iş parçacığı kendiliğinden çıktı (kod {code}); cihaz yeniden başlayana kadar kapalı kalır',
  'code outside its listeners and timers threw: {error}': 'dinleyicileri ve zamanlayıcıları dışındaki kod hata fırlattı: {error}',
  '{where} threw: {error}': '{where} hata fırlattı: {error}',
  '@unibos/module-api does not load: {error}': '@unibos/module-api yüklenemiyor: {error}',
};

/** Messages written in English elsewhere that sayMessage recognises. */
const FOREIGN_MESSAGES: Record<string, string> = { ...NODE_MESSAGES, ...ARGS_MESSAGES, ...HUB_MESSAGES, ...GATEWAY_MESSAGES, ...MODULE_MESSAGES };

const TR: Record<string, string> = {
  // unibos sim output
  'unibos sim: {nodes} nodes, {topology}, loss {loss}%, hop limit {hopLimit}, {preset}, seed {seed}, {frames} frames':
    'unibos sim: {nodes} cihaz, {topology}, kayıp %{loss}, atlama sınırı {hopLimit}, {preset}, tohum {seed}, {frames} çerçeve',
  strategy: 'strateji',
  'reach %': 'erişim %',
  'tx/frame': 'gönd./çerç.',
  'airtime s': 'yayın sn',
  'dup deliveries': 'yinelenen teslim',
  collisions: 'çarpışma',
  'per node ({strategy}):': 'cihaz başına ({strategy}):',
  neighbours: 'komşular',
  received: 'alınan',
  sent: 'gönderilen',
  cancelled: 'iptal',
  'topology picture: {file}': 'topoloji resmi: {file}',
  ...FOREIGN_MESSAGES,
  ...HELP_PAGES_TR,
  ...NODE_FLAGS_TR,
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
  'trace the path to a node and back, with the SNR of each hop': 'bir cihaza giden ve dönen yolu, her adımın SNR değeriyle izle',
  'usage: unibos trace NODE [options]\n\nTraces the path the running node\'s direct messages take to NODE (a node id such as !1a2b3c4d, or\nthe name it announced, any case; see unibos peers) and back: every hop adds itself and the SNR it\nheard the trace at. "?" is a relay that carried the trace without recording itself.\n\n  --timeout S      seconds to wait for the answer (default 60)\n{options}\n':
    'kullanım: unibos trace CİHAZ [seçenekler]\n\nÇalışan cihazın doğrudan mesajlarının CİHAZ\'a (!1a2b3c4d gibi bir cihaz kimliği ya da\ncihazın duyurduğu ad, büyük/küçük harf fark etmez; bkz. unibos peers) gidip dönerken izlediği\nyolu gösterir: her adım kendini ve izi duyduğu SNR değerini ekler. "?", izi kendini yazmadan\ntaşıyan bir aktarıcıdır.\n\n  --timeout S      yanıt için beklenecek saniye (varsayılan 60)\n{options}\n',
  'give one node to trace: its id, such as !1a2b3c4d, or its name\n\n{help}': 'izlenecek tek bir cihaz verin: kimliği (ör. !1a2b3c4d) ya da adı\n\n{help}',
  'no answer from {node} within {seconds} s: {self} has never heard from it, so the trace went out as a flood, as far as its hop limit of {hops} lets one go; the node may be off, farther away, or not exist':
    '{node} cihazından {seconds} sn içinde yanıt gelmedi: {self} ondan hiçbir şey duymadı, bu yüzden iz, atlama sınırı {hops} izin verdiği kadar uzağa yayılarak gitti; cihaz kapalı, daha uzakta ya da hiç olmayabilir',
  'no answer from {node} within {seconds} s: {self} last heard it directly {ago}; it may have moved or been switched off since, or the trace or its answer was lost on the way (try again, or give a longer --timeout)':
    '{node} cihazından {seconds} sn içinde yanıt gelmedi: {self} onu en son {ago} doğrudan duydu; o zamandan beri yer değiştirmiş ya da kapanmış olabilir, ya da iz veya yanıtı yolda kaybolmuş olabilir (yeniden deneyin ya da daha uzun bir --timeout verin)',
  'no answer from {node} within {seconds} s: {self} last heard it {ago}, {hops} hops away; it may have moved or been switched off since, or the trace or its answer was lost on the way (try again, or give a longer --timeout)':
    '{node} cihazından {seconds} sn içinde yanıt gelmedi: {self} onu en son {ago}, {hops} adım uzaktayken duydu; o zamandan beri yer değiştirmiş ya da kapanmış olabilir, ya da iz veya yanıtı yolda kaybolmuş olabilir (yeniden deneyin ya da daha uzun bir --timeout verin)',
  // Nodes named as people name them (node-names.ts), for send --to, trace and --node.
  '{count} nodes {self} has heard are called {name}: {list}; give the id of the one you mean': '{self} cihazının duyduğu {count} cihazın adı {name}: {list}; kastettiğinizin kimliğini verin',
  '{name} is this node ({id}): name another one': '{name} bu cihazın kendisi ({id}): başka bir cihaz verin',
  'no node called {name}: {self} has not heard any node yet, so it knows no names; give a node id such as !1a2b3c4d':
    '{name} adında bir cihaz yok: {self} henüz hiçbir cihaz duymadı, bu yüzden hiçbir ad bilmiyor; !1a2b3c4d gibi bir cihaz kimliği verin',
  '{list} and {count} more': '{list} ve {count} tane daha',
  'no node called {name} among those {self} has heard: {list} (see unibos peers); or give a node id such as !1a2b3c4d':
    '{self} cihazının duyduğu cihazlar arasında {name} adında biri yok: {list} (bkz. unibos peers); ya da !1a2b3c4d gibi bir cihaz kimliği verin',
  'none with a name yet': 'henüz adı olan yok',
  "--node {name}: {count} of the demo's nodes are called that: {list}; give the id of the one you mean": '--node {name}: demodaki {count} cihazın adı bu: {list}; kastettiğinizin kimliğini verin',
  // A node's role (node-role.ts).
  client: 'istemci',
  router: 'yönlendirici',
  gateway: 'ağ geçidi',
  'route to {node} (hops there: {there}, back: {back}):': '{node} yolu (gidiş: {there} adım, dönüş: {back} adım):',
  towards: 'gidiş',
  back: 'dönüş',
  'raise (or end, with --safe) an SOS on the running node': 'çalışan cihazda SOS başlat (veya --safe ile bitir)',
  'list texts and alerts the running node received': 'çalışan cihazın aldığı mesajları ve uyarıları listele',
  'list, enable, disable, configure and create modules': 'modülleri listele, aç, kapat, ayarla ve oluştur',
  'end-to-end encrypted messages through the hub: login, dm, send, read, groups, safety numbers': 'merkez üzerinden uçtan uca şifreli mesajlar: giriş, dm, gönderme, okuma, gruplar, güvenlik numaraları',
  'build the device bundle, write unibos.json for a flashed card, first boot': 'cihaz paketini derle, yazılmış kart için unibos.json yaz, ilk açılış',
  "--node {name}: no such node; the demo's nodes are {list}": "--node {name}: böyle bir cihaz yok; demodaki cihazlar: {list}",
  '--node {name}: no demo nodes are known ({file} is missing); start them with `npm start`, or name the node\'s folder with --data-dir':
    "--node {name}: bilinen demo cihazı yok ({file} bulunamadı); `npm start` ile başlatın veya cihazın klasörünü --data-dir ile verin",
  '{name} is a node of the demo, which is not running (nothing answers on a control socket in {dir}); start the demo with `npm start` (or `unibos demo`)':
    '{name} demonun bir cihazı; demo şu an çalışmıyor ({dir} içinde yanıt veren bir denetim soketi yok); demoyu `npm start` (veya `unibos demo`) ile başlatın',
  "no node is running with data dir {dir}: it is in the demo's folder, and the demo is not running; start it with `npm start` (or `unibos demo`)":
    '{dir} klasörüyle çalışan cihaz yok: bu klasör demonun, demo ise şu an çalışmıyor; demoyu `npm start` (veya `unibos demo`) ile başlatın',
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
  'ask one: {command} (also peers, inbox, send, sos, trace)': 'birine sorun: {command} (peers, inbox, send, sos, trace da olur)',
  'Nodes appear on the map within a minute. About 90 s after start a (fixture) earthquake strikes nearby:\nopen Modules to see the alert and the check-in round as the nodes answer. Ctrl-C stops everything.':
    'Cihazlar bir dakika içinde haritada görünür. Başlangıçtan yaklaşık 90 sn sonra yakında (örnek) bir deprem olur:\nuyarıyı ve cihazlar yanıt verdikçe yoklama turunu görmek için Modüller’i açın. Ctrl-C her şeyi durdurur.',

  // `unibos status`: row labels, then each row as one sentence.
  node: 'cihaz',
  radio: 'telsiz',
  gps: 'gps',
  mesh: 'ağ',
  frames: 'çerçeveler',
  outbox: 'giden kutusu',
  sos: 'sos',
  peers: 'komşular',
  modules: 'modüller',
  // "… süredir açık" needs no suffix that would follow the last number as it is read aloud.
  '{id}  {name}  ({role}), up {uptime}': '{id}  {name}  ({role}), {uptime} süredir açık',
  // How long, as a person reads it (cli-duration.ts).
  '{seconds} s': '{seconds} sn',
  '{minutes} min': '{minutes} dk',
  '{hours} h': '{hours} sa',
  '{hours} h {minutes} min': '{hours} sa {minutes} dk',
  '{days} day': '{days} gün',
  '{days} days': '{days} gün',
  '{days} day {hours} h': '{days} gün {hours} sa',
  '{days} days {hours} h': '{days} gün {hours} sa',
  '{type}, {state}, {preset} on {mhz} MHz, {region}': '{type}, {state}, {mhz} MHz’de {preset}, {region}',
  '{type}, {mode} fix {position}': '{type}, {mode} konum {position}',
  '{type}, no fix': '{type}, konum yok',
  'channel {channel}, hop limit {hops}, channel use {percent}%': 'kanal {channel}, atlama sınırı {hops}, kanal kullanımı %{percent}',
  'duty cycle {used} of {budget} s this hour': 'görev döngüsü bu saat {budget} sn’nin {used} sn’si',
  'copies heard again {n}': 'yeniden duyulan kopya {n}',
  'sent {sent}, received {received}, delivered {delivered}, relayed {relayed}; drops: {drops}': '{sent} gönderildi, {received} alındı, {delivered} teslim edildi, {relayed} aktarıldı; düşenler: {drops}',
  none: 'yok',
  '{count} queued': '{count} sırada',
  'oldest {age}': 'en eskisi {age}',
  'check-in {time}: all well at {name}': 'yoklama {time}: {name}, her şey yolunda',
  '{count} given up': '{count} vazgeçildi',
  '{count} queued, full': '{count} sırada, dolu',
  '{count} pushed out by more urgent ones': '{count} tanesi daha acil olanlara yer açmak için çıkarıldı',
  '{count} unreadable': '{count} tanesi okunamadı',
  '{count} refused by the router': '{count} tanesini yönlendirici reddetti',
  '{count} refused (full)': '{count} tanesi reddedildi (dolu)',
  '{count} refused': '{count} reddedildi',
  '{count} failed': '{count} başarısız',
  '{count} thrown': '{count} hata fırlattı',
  // A GPS fix's mode: Turkish says 2B/3B (boyutlu), not 2d/3d.
  '2d': '2B',
  '3d': '3B',
  // A module's state (module-state.ts): the node's, then the hub's (`unibos module`); "failed" is below.
  loaded: 'yüklendi',
  unloaded: 'kaldırıldı',
  stopped: 'durduruldu',
  enabled: 'açık',
  disabled: 'kapalı',
  not_loaded: 'yüklenmedi',
  setup_in_progress: 'kuruluyor',
  setup_error: 'kurulum hatası',
  setup_retry: 'kurulum yeniden denenecek',
  migration_error: 'geçiş hatası',
  invalid: 'geçersiz',
  unsupported: 'desteklenmiyor',

  // How far an SOS got (the same structure as the node's own line, in firmware/src/node/sos-summary.ts).
  'sent, waiting for a gateway': 'gönderildi, bir ağ geçidi bekleniyor',
  'taken by a gateway': 'bir ağ geçidi aldı',
  'received by the hub': 'merkeze ulaştı',
  acknowledged: 'teyit edildi',
  resolved: 'çözüldü',
  '{stage} at {time}': '{time} {stage}',
  '{stage} by {name} at {time}': '{time} {name} tarafından {stage}',
  '{stage} by {name}': '{name} tarafından {stage}',
  'gateway {time}': 'ağ geçidi {time} aldı',
  'hub {time}': 'merkez {time} aldı',
  'acknowledged {time}': '{time} teyit edildi',
  '{line} ({earlier})': '{line} ({earlier})',
  'safe sent at {time}, waiting for the hub; {line}': '"güvendeyim" {time} gönderildi, merkez bekleniyor; {line}',
  'safe at {time}, not on air yet; {line}': '"güvendeyim" {time}, henüz yayınlanmadı; {line}',
  'safe, not on air yet; {line}': '"güvendeyim" henüz yayınlanmadı; {line}',
  '{stage} at {time}, not on air yet': '{time} {stage}, henüz yayınlanmadı',
  '{stage}, not on air yet': '{stage}, henüz yayınlanmadı',
  raised: 'başlatıldı',
  'SOS raised': 'SOS başlatıldı',
  'safe sent, waiting for the hub; {line}': '"güvendeyim" gönderildi, merkez bekleniyor; {line}',
  'safe sent at {time}, gave up: {reason}; {line}': '"güvendeyim" {time} gönderildi, vazgeçildi: {reason}; {line}',
  'safe sent, gave up: {reason}; {line}': '"güvendeyim" gönderildi, vazgeçildi: {reason}; {line}',
  'no answer from the hub': 'merkezden yanıt yok',
  '{line}; safe at {time}': '{line}; {time} itibarıyla güvende',
  '{line}; safe': '{line}; güvende',
  'cancelled ("I am safe") at {time}; {line}': 'iptal edildi ("güvendeyim", {time}); {line}',
  'cancelled ("I am safe"); {line}': 'iptal edildi ("güvendeyim"); {line}',
  '{line}; {count} copy sent': '{line}; {count} kopya gönderildi',
  '{line}; {count} copies sent': '{line}; {count} kopya gönderildi',
  '{line}; {count} copy sent, {safe} of "I am safe"': '{line}; {count} kopya ve {safe} "güvendeyim" gönderildi',
  '{line}; {count} copies sent, {safe} of "I am safe"': '{line}; {count} kopya ve {safe} "güvendeyim" gönderildi',

  // `unibos peers`, `inbox`, `send`, `sos`.
  NODE: 'CİHAZ',
  NAME: 'AD',
  HOPS: 'ATLAMA',
  SNR: 'SNR',
  RSSI: 'RSSI',
  'LAST HEARD': 'SON DUYULMA',
  POSITION: 'KONUM',
  BATTERY: 'PİL',
  powered: 'şebekeden',
  // A battery's charge: Turkish puts the sign first.
  '{percent}%': '%{percent}',
  // An open SOS in the peers table: said in full, in capitals, as the row that comes first.
  'SOS OPEN': 'SOS AÇIK',
  SOS: 'SOS',
  '{id} has not heard any other node yet': '{id} henüz başka bir cihaz duymadı',
  '#': '#',
  FROM: 'KİMDEN',
  KIND: 'TÜR',
  TEXT: 'METİN',
  RECEIVED: 'ALINDI',
  text: 'mesaj',
  '🔒 private': '🔒 özel',
  'could not decrypt: {reason}': 'şifresi çözülemedi: {reason}',
  '--private needs --to NODE: a private message goes to one node': '--private için --to CİHAZ gerekli: özel mesaj tek bir cihaza gider',
  'queued private message {id} for {to}, encrypted end to end ({count} in the outbox)': '{id} özel mesajı {to} için uçtan uca şifreli olarak sıraya alındı (giden kutusunda {count})',
  'no messages': 'mesaj yok',
  'give --last or --after, not both': '--last veya --after verin, ikisini birden değil',
  'give the text as one argument (quote it)\n\n{help}': 'metni tek bir argüman olarak verin (tırnak içinde)\n\n{help}',
  'no messages with {node} yet': '{node} ile henüz mesaj yok',
  '{to} is the address of everyone: leave out --to to send to everyone': '{to} herkesin adresi: herkese göndermek için --to vermeyin',
  'queued message {id} for {to} ({count} in the outbox)': '{id} mesajı {to} için sıraya alındı (giden kutusunda {count})',
  everyone: 'herkes',
  'SOS cancelled; "I am safe" queued; it is resent until the hub confirms it (`unibos status` shows it)':
    'SOS iptal edildi; "güvendeyim" sıraya alındı; merkez onaylayana kadar yeniden gönderilir (`unibos status` gösterir)',
  '"I am safe" queued: with no SOS open it goes out once, to tell the mesh': '"güvendeyim" sıraya alındı: açık bir SOS olmadığından ağa bir kez gönderilir',
  'SOS raised: copy {copy} queued, resent at growing intervals until a gateway takes it. `unibos status` shows how far it got; `unibos sos --safe` ends it.':
    'SOS başlatıldı: {copy}. kopya sırada; bir ağ geçidi alana kadar artan aralıklarla yeniden gönderilir. Nereye ulaştığını `unibos status` gösterir; `unibos sos --safe` bitirir.',
  'SOS sent again (it was already {summary}). `unibos sos --safe` ends it.': 'SOS yeniden gönderildi (zaten {summary} durumundaydı). `unibos sos --safe` bitirir.',
  '{seconds} s ago': '{seconds} sn önce',
  '{minutes} min ago': '{minutes} dk önce',
  '{hours} h ago': '{hours} sa önce',
  '{days} d ago': '{days} gün önce',

  // Checked command-line values (cli-args.ts).
  "{flag} must be a whole number from {min} to {max}, got '{value}'": "{flag} {min} ile {max} arasında bir tam sayı olmalı, verilen: '{value}'",
  "{flag} must be a number from {min} to {max}, got '{value}'": "{flag} {min} ile {max} arasında bir sayı olmalı, verilen: '{value}'",
  "{flag} must be one of {allowed}, got '{value}'": "{flag} şunlardan biri olmalı: {allowed}, verilen: '{value}'",

  // Set-up commands: hub init, claims, gateway devices.
  '--email is required': '--email gerekli',
  'give the password with --password-file PATH or UNIBOS_ADMIN_PASSWORD (never on the command line, where ps shows it)':
    'parolayı --password-file YOL veya UNIBOS_ADMIN_PASSWORD ile verin (komut satırında asla: ps onu gösterir)',
  "created admin {email} (owner of org {org}) in {dir}\nStop a running hub before using init; start it with 'unibos hub'.":
    "{dir} içinde {email} yöneticisi oluşturuldu ({org} kuruluşunun sahibi)\ninit kullanmadan önce çalışan merkezi durdurun; 'unibos hub' ile başlatın.",
  "--hub-api must be the hub's http(s):// address, e.g. http://hub.local:8000": "--hub-api merkezin http(s):// adresi olmalı, ör. http://hub.local:8000",
  'node {id} claimed at {hub}\ndevice token kept in {file}': 'cihaz {id}, {hub} merkezine bağlandı\ncihaz anahtarı {file} dosyasında saklanıyor',
  "gateway {id} claimed; hub broker {url}\ncredentials kept in {file}; 'unibos gateway' connects there from its next start (one already running: restart it, on a flashed card sudo systemctl restart unibos-gateway)":
    "ağ geçidi {id} bağlandı; merkez aracısı {url}\nkimlik bilgileri {file} dosyasında; 'unibos gateway' bir sonraki başlangıcından itibaren oraya bağlanır (zaten çalışıyorsa yeniden başlatın; yazılmış bir SD kartta sudo systemctl restart unibos-gateway)",
  // `--help` of the commands that talk to a running node.
  'usage: unibos status [options]\n\nShows the running node\'s identity, radio, GPS fix, mesh counters, outbox and how far\nits SOS got (sent, taken by a gateway, received by the hub, acknowledged, resolved), and\nthe modules it runs (loaded, or why not).\n\n{options}\n':
    'kullanım: unibos status [seçenekler]\n\nÇalışan cihazın kimliğini, telsizini, GPS konumunu, ağ sayaçlarını, giden kutusunu, SOS\'unun\nnereye ulaştığını (gönderildi, bir ağ geçidi aldı, merkeze ulaştı, teyit edildi, çözüldü) ve\nçalıştırdığı modülleri (yüklendi veya neden yüklenmedi) gösterir.\n\n{options}\n',
  'usage: unibos peers [options]\n\nLists the nodes this node has heard: its role (client, router or gateway), hops away (1 = heard\ndirectly), signal of the last direct reception, when it was last heard, its last reported position\nand battery, and an SOS it raised and has not ended with "I am safe" (such a node, like a gateway,\nis never forgotten to make room). Nodes with an open SOS come first.\n\n{options}\n':
    'kullanım: unibos peers [seçenekler]\n\nBu cihazın duyduğu cihazları listeler: rolü (istemci, yönlendirici veya ağ geçidi), kaç atlama\nuzakta (1 = doğrudan duyuldu), son doğrudan alımın sinyali, en son ne zaman duyulduğu, bildirdiği\nson konum ve pil, ve başlatıp "güvendeyim" ile bitirmediği bir SOS (böyle bir cihaz, bir ağ geçidi\ngibi, yer açmak için asla unutulmaz). SOS\'u açık cihazlar en başta gelir.\n\n{options}\n',
  'usage: unibos inbox [--last N | --after N] [options]\n\nLists the texts, private messages (🔒, end-to-end encrypted) and alerts (SOS, "I am safe",\nwarnings) this node received, oldest first. Each has a number; the node keeps the newest 10000.\n\n  --last N         the newest N messages (default 20, at most 1000)\n  --after N        instead, the messages after number N (up to 1000; page on from the last shown; default: the latest)\n{options}\n':
    'kullanım: unibos inbox [--last N | --after N] [seçenekler]\n\nBu cihazın aldığı mesajları, özel mesajları (🔒, uçtan uca şifreli) ve uyarıları (SOS, "güvendeyim",\nuyarılar) eskiden yeniye listeler. Her birinin bir numarası vardır; cihaz en yeni 10000 tanesini saklar.\n\n  --last N         en yeni N mesaj (varsayılan 20, en çok 1000)\n  --after N        bunun yerine N numaradan sonraki mesajlar (en çok 1000; gösterilen sonuncudan devam edin; varsayılan: en yeniler)\n{options}\n',
  'usage: unibos send "text" [--to NODE [--private]] [options]\n\nQueues a text message on the running node. It is stored before this command returns and sent as\nsoon as the radio and the duty-cycle budget allow, surviving restarts until it is delivered.\n\n  --to NODE        a node id such as !1a2b3c4d, or the name it announced, any case (see unibos peers; default: everyone on the channel)\n  --private        encrypted end to end: only NODE can read it (at most 117 bytes of text; default: off)\n{options}\n':
    'kullanım: unibos send "metin" [--to CİHAZ [--private]] [seçenekler]\n\nÇalışan cihazda bir mesajı sıraya koyar. Mesaj bu komut dönmeden önce saklanır ve telsiz ile\ngörev döngüsü bütçesi izin verir vermez gönderilir; teslim edilene kadar yeniden başlatmalarda korunur.\n\n  --to CİHAZ       !1a2b3c4d gibi bir cihaz kimliği ya da cihazın duyurduğu ad, büyük/küçük harf fark etmez (bkz. unibos peers; varsayılan: kanaldaki herkes)\n  --private        uçtan uca şifreli: yalnızca CİHAZ okuyabilir (en çok 117 bayt metin; varsayılan: kapalı)\n{options}\n',
  'usage: unibos sos [--safe] [options]\n\nRaises an SOS, as a long press of the node\'s button does: an alert with our position, resent at\ngrowing intervals until a gateway has durably queued it for the hub. `unibos status` then shows\nhow far it got: taken by a gateway, received by the hub, acknowledged by an admin, resolved.\nWith --safe, ends the SOS and sends "I am safe" (a short press).\n\n  --safe           cancel the SOS and tell the mesh you are safe (default: raise an SOS)\n{options}\n':
    'kullanım: unibos sos [--safe] [seçenekler]\n\nCihazın düğmesine uzun basmak gibi bir SOS başlatır: konumumuzla bir uyarı; bir ağ geçidi onu\nmerkez için kalıcı olarak sıraya alana kadar artan aralıklarla yeniden gönderilir. Ardından\n`unibos status` nereye ulaştığını gösterir: bir ağ geçidi aldı, merkeze ulaştı, bir yönetici\nteyit etti, çözüldü. --safe ile SOS\'u bitirir ve "güvendeyim" gönderir (kısa basış).\n\n  --safe           SOS\'u iptal et ve ağa güvende olduğunu söyle (varsayılan: SOS başlat)\n{options}\n',
  '  --data-dir DIR   the node\'s state folder (default: $UNIBOS_DATA_DIR, else ~/.unibos/node)\n  --node NAME      a node the demo started, by name or id (e.g. --node Clinic); the demo\'s\n                   list is <demo dir>/nodes.json (default dir: $UNIBOS_DEMO_DIR, else ~/.unibos/demo)\n  --json           print the node\'s answer as JSON (default: a table for people)':
    '  --data-dir KLASÖR  cihazın durum klasörü (varsayılan: $UNIBOS_DATA_DIR, yoksa ~/.unibos/node)\n  --node AD        demonun başlattığı bir cihaz, adı veya kimliğiyle (ör. --node Clinic); demonun\n                   listesi <demo klasörü>/nodes.json (varsayılan klasör: $UNIBOS_DEMO_DIR, yoksa ~/.unibos/demo)\n  --json           cihazın yanıtını JSON olarak yaz (varsayılan: insanlar için bir tablo)',
  'no devices': 'cihaz yok',
  'no device {id}': '{id} diye bir cihaz yok',
  'removed {id}; the gateway running with this data dir closes its connections within a second and refuses it from then on':
    '{id} kaldırıldı; bu veri klasörüyle çalışan ağ geçidi bir saniye içinde bağlantılarını kapatır ve bundan sonra onu reddeder',
  'removed {id}; no gateway is running with this data dir: the next one to start refuses it': '{id} kaldırıldı; bu veri klasörüyle çalışan ağ geçidi yok: bir sonraki başlayan onu reddeder',
  "removed {id}; the gateway with this data dir did not answer: if it is running, it closes the device's connections within a second (it watches the device list) and refuses it from then on":
    '{id} kaldırıldı; bu veri klasörlü ağ geçidi yanıt vermedi: çalışıyorsa cihazın bağlantılarını bir saniye içinde kapatır (cihaz listesini izler) ve bundan sonra onu reddeder',
  'dead letters: none': 'teslim edilemeyenler: yok',
  '{count} dead letter back in the queue; a running gateway sends it on its next pass': '{count} teslim edilemeyen yeniden sırada; çalışan ağ geçidi bir sonraki turda gönderir',
  '{count} dead letters back in the queue; a running gateway sends them on its next pass': '{count} teslim edilemeyen yeniden sırada; çalışan ağ geçidi bir sonraki turda gönderir',
  'dead letters: {count} (newest first)': 'teslim edilemeyenler: {count} (en yenisi önce)',
  'queued for the hub: {count} ({urgent} urgent), {bytes} bytes': 'merkez için sırada: {count} ({urgent} acil), {bytes} bayt',
  // `unibos msg`: errors and what it prints.
  'say what to do\n\n{help}': 'ne yapılacağını söyleyin\n\n{help}',
  'a demo is already running with data dir {dir}: stop it first (Ctrl-C where it runs)': '{dir} veri klasörüyle çalışan bir gösterim zaten var: önce onu durdurun (çalıştığı yerde Ctrl-C)',
  'a mesh node takes text only: no --attach, --reply-to or --expires': 'bir ağ düğümü yalnızca metin alır: --attach, --reply-to ya da --expires olmaz',
  '{node} is a mesh node’s conversation: it has no members to change': '{node} bir ağ düğümüyle yapılan sohbet: değiştirilecek üyesi yok',
  'unknown msg command \'{name}\'\n\n{help}': 'bilinmeyen msg komutu \'{name}\'\n\n{help}',
  'compare the safety number (`unibos msg safety {user}`), then accept it with `unibos msg trust {user} "NUMBER"`': 'güvenlik numarasını karşılaştırın (`unibos msg safety {user}`), sonra `unibos msg trust {user} "NUMARA"` ile kabul edin',
  'revoked device {id} (this one: log in again to use the messenger here)': '{id} cihazı iptal edildi (bu cihaz: mesajlaşmayı burada kullanmak için yeniden giriş yapın)',
  'revoked device {id}': '{id} cihazı iptal edildi',
  'no conversations yet: start one with `unibos msg dm WHO "text"`': 'henüz konuşma yok: `unibos msg dm KİM "metin"` ile bir tane başlatın',
  'the text is empty: write something to send': 'metin boş: gönderilecek bir şey yazın',
  'usage: unibos msg dm WHO "text" (quote the text)': 'kullanım: unibos msg dm KİM "metin" (metni tırnak içine alın)',
  'sent {id} to {email} (conversation {conversation})': '{id}, {email} kişisine gönderildi ({conversation} konuşması)',
  'usage: unibos msg send CONVERSATION "text" (quote the text)': 'kullanım: unibos msg send KONUŞMA "metin" (metni tırnak içine alın)',
  'cannot read --attach {file}: {reason}': '--attach {file} okunamıyor: {reason}',
  'sent {id} to {to} (expires {expires})': '{id}, {to} için gönderildi ({expires} tarihinde silinir)',
  'sent {id} to {to}': '{id}, {to} için gönderildi',
  '-- following new messages; Ctrl-C to stop': '-- yeni mesajlar izleniyor; durdurmak için Ctrl-C',
  'usage: unibos msg group create NAME --member WHO [--member WHO ...]': 'kullanım: unibos msg group create AD --member KİM [--member KİM ...]',
  'created channel {name} ({id}) with {count} members': '{name} kanalı ({id}) {count} üyeyle oluşturuldu',
  'created group {name} ({id}) with {count} members': '{name} grubu ({id}) {count} üyeyle oluşturuldu',
  'usage: unibos msg group add CONVERSATION WHO [WHO ...]': 'kullanım: unibos msg group add KONUŞMA KİM [KİM ...]',
  'usage: unibos msg group remove CONVERSATION WHO': 'kullanım: unibos msg group remove KONUŞMA KİM',
  'added {who}; {name} has a new key; members: {count}': '{who} eklendi; {name} yeni bir anahtara sahip; üye sayısı: {count}',
  'removed {who}; {name} has a new key; members: {count}': '{who} çıkarıldı; {name} yeni bir anahtara sahip; üye sayısı: {count}',
  'usage: unibos msg group create|add|remove ... (see unibos msg --help)': 'kullanım: unibos msg group create|add|remove ... (bkz. unibos msg --help)',
  'usage: unibos msg node !NODE ["text"]': 'kullanım: unibos msg node !CİHAZ ["metin"]',
  'handed to the hub for {node}, end-to-end encrypted {{id}}: it goes out through the gateway that heard the node last, and waits at the hub while that gateway is away; `unibos msg node {node}` shows when it is on the air and when the node acknowledged it': '{node} için uçtan uca şifreli olarak merkeze verildi {{id}}: cihazı en son duyan ağ geçidi üzerinden çıkar, o ağ geçidi yokken merkezde bekler; ne zaman yayına çıktığını ve cihazın ne zaman aldığını `unibos msg node {node}` gösterir',
  'usage: unibos msg safety WHO': 'kullanım: unibos msg safety KİM',
  'safety number with {email} (KEYS CHANGED, not accepted yet):': '{email} ile güvenlik numarası (ANAHTARLAR DEĞİŞTİ, henüz kabul edilmedi):',
  'safety number with {email} (verified):': '{email} ile güvenlik numarası (doğrulandı):',
  'safety number with {email} (not verified yet):': '{email} ile güvenlik numarası (henüz doğrulanmadı):',
  'then mark it compared: `unibos msg trust {who} "NUMBER"`': 'sonra karşılaştırıldı olarak işaretleyin: `unibos msg trust {who} "NUMARA"`',
  'compare it with theirs in person or on a call; the same digits mean no one is in between': 'yüz yüze veya bir aramada onunkiyle karşılaştırın; rakamlar aynıysa arada kimse yok demektir',
  'usage: unibos msg trust WHO "NUMBER"': 'kullanım: unibos msg trust KİM "NUMARA"',
  'accepted the new keys of {email}': '{email} kişisinin yeni anahtarları kabul edildi',
  'no keys of {email} seen yet: there is no number to compare': '{email} kişisinin anahtarları henüz görülmedi: karşılaştırılacak bir numara yok',
  '{email} is verified already': '{email} zaten doğrulanmış',
  '{email} is marked verified: the number you compared covers each of their devices now; a device they add later makes it another number, to compare again':
    '{email} doğrulanmış olarak işaretlendi: karşılaştırdığınız numara şu anki cihazlarının hepsini kapsıyor; sonradan ekleyecekleri bir cihaz numarayı değiştirir, yeniden karşılaştırılır',
  'this device: {id}  {name}  {fingerprint}': 'bu cihaz: {id}  {name}  {fingerprint}',
  '{who}: no keys seen yet (they are pinned with the first message either way)': '{who}: henüz anahtar görülmedi (hangi yönde olursa olsun ilk mesajla sabitlenir)',
  '  {id}  {fingerprint}  pinned': '  {id}  {fingerprint}  sabitlendi',
  '  {id}  {fingerprint}  CHANGED, awaiting trust (`unibos msg trust {who}`)': '  {id}  {fingerprint}  DEĞİŞTİ, güven bekliyor (`unibos msg trust {who}`)',
  'login needs --hub URL and --email EMAIL': 'login için --hub URL ve --email EPOSTA gerekli',
  '--hub must be a URL such as http://hub.local:8000, got \'{value}\'': '--hub, http://hub.local:8000 gibi bir URL olmalı, verilen: \'{value}\'',
  'cannot read the password from {file}: {reason}': 'parola {file} dosyasından okunamıyor: {reason}',
  'no answer (the input ended); nothing was done': 'yanıt yok (girdi bitti); hiçbir şey yapılmadı',
  'cannot read the password from stdin: {reason}': 'parola standart girdiden okunamıyor: {reason}',
  'the password is empty': 'parola boş',
  'this machine\'s previous device was revoked; its state is kept in {dir}': 'bu makinenin önceki cihazı iptal edilmişti; durumu {dir} içinde saklanıyor',
  'logged in to {hub} as {email}; this device is {device}': '{hub} merkezine {email} olarak giriş yapıldı; bu cihaz {device}',
  'unexpected argument \'{value}\'': 'beklenmeyen argüman \'{value}\'',
  '--expires must be a number and s, m, h, d or w, from 10s to 4w (e.g. 1h), got \'{value}\'': '--expires bir sayı ve s, m, h, d veya w olmalı, 10s ile 4w arasında (ör. 1h), verilen: \'{value}\'',
  'no one in your org is \'{who}\' (give an email or a user id)': 'kuruluşunuzda \'{who}\' diye biri yok (bir e-posta veya kullanıcı kimliği verin)',
  '\'{ref}\' names {count} conversations; give the id (see `unibos msg list`)': '\'{ref}\' {count} konuşmaya uyuyor; kimliğini verin (bkz. `unibos msg list`)',
  'no conversation \'{ref}\' (see `unibos msg list`)': '\'{ref}\' diye bir konuşma yok (bkz. `unibos msg list`)',
  // `unibos module`.
  'a command is needed\n\n{help}': 'bir komut gerekli\n\n{help}',
  '{command} needs a module name (lower case letters, digits, dashes)': '{command} için bir modül adı gerekli (küçük harfler, rakamlar, tireler)',
  'no modules in {dir}': '{dir} içinde modül yok',
  '{name}: {state} ({error})': '{name}: {state} ({error})',
  '{name}: {state}': '{name}: {state}',
  '{line} — written to {file}; takes effect when the hub using {dir} starts (a running hub: `--hub URL --token T`)': '{line} — {file} dosyasına yazıldı; {dir} klasörünü kullanan merkez başladığında geçerli olur (çalışan bir merkez için: `--hub URL --token T`)',
  '(as {file} says; a running hub: `--hub URL --token T`)': '({file} dosyasına göre; çalışan bir merkez için: `--hub URL --token T`)',
  '(no hub has kept modules in {dir}: nothing enabled there; for another hub give its --data-dir, or --hub URL --token T)': '({dir} içinde modül tutan bir merkez yok: orada hiçbir şey etkin değil; başka bir merkez için onun --data-dir klasörünü ya da --hub URL --token T verin)',
  'the hub does not accept this token ({code}): give an access token or API key of an admin of the hub with --token or UNIBOS_HUB_TOKEN': 'merkez bu anahtarı kabul etmiyor ({code}): merkezin bir yöneticisinin erişim anahtarını ya da API anahtarını --token veya UNIBOS_HUB_TOKEN ile verin',
  'settings are KEY=VALUE, got \'{value}\'': 'ayarlar ANAHTAR=DEĞER biçiminde olmalı, verilen: \'{value}\'',
  '--category must be one of {allowed}': '--category şunlardan biri olmalı: {allowed}',
  'created {dir}\n  test it:   node --import tsx --test {tests}/*.test.ts\n  enable it: unibos module enable {name}': '{dir} oluşturuldu\n  sınayın:   node --import tsx --test {tests}/*.test.ts\n  açın:      unibos module enable {name}',
  '{name} has no CLI commands': '{name} modülünün CLI komutu yok',
  'unknown module command \'{name}\'\n\n{help}': 'bilinmeyen module komutu \'{name}\'\n\n{help}',
  '--hub needs --token (an access token or API key), or UNIBOS_HUB_TOKEN': '--hub için --token (erişim anahtarı veya API anahtarı) ya da UNIBOS_HUB_TOKEN gerekli',
  'cannot reach the hub at {url}: {reason}': '{url} adresindeki merkeze ulaşılamıyor: {reason}',
  'no module named \'{name}\' in {dir}': '{dir} içinde \'{name}\' adlı modül yok',
  '{dir} already exists': '{dir} zaten var',
  // `unibos gateway`: devices, outbox, claim.
  '--hub must be an mqtt://, mqtts://, ws:// or wss:// URL, got \'{value}\'': '--hub bir mqtt://, mqtts://, ws:// veya wss:// URL\'si olmalı, verilen: \'{value}\'',
  'cannot read --hub-password-file {path}: {reason}': '--hub-password-file {path} okunamıyor: {reason}',
  '--role must be one of {allowed}': '--role şunlardan biri olmalı: {allowed}',
  'added {role} {id}': '{role} {id} eklendi',
  'topic rules:{rules}': 'konu kuralları:{rules}',
  'username: {id}\npassword: {secret}\n(shown once: only its hash is stored)': 'kullanıcı adı: {id}\nparola: {secret}\n(yalnızca bir kez gösterilir: yalnızca özeti saklanır)',
  'DEVICE': 'CİHAZ',
  'ROLE': 'ROL',
  'ADDED': 'EKLENDİ',
  'TOPIC RULES': 'KONU KURALLARI',
  'usage: unibos gateway device add ID [--role sensor|hub] | list | remove ID': 'kullanım: unibos gateway device add KİMLİK [--role sensor|hub] | list | remove KİMLİK',
  'SEQ': 'SIRA',
  'FAILED': 'BAŞARISIZ',
  'LANE': 'ŞERİT',
  'SOURCE': 'KAYNAK',
  'TOPIC': 'KONU',
  'BYTES': 'BAYT',
  'REASON': 'NEDEN',
  'cannot read {file}: {reason}': '{file} okunamıyor: {reason}',
  '{file} is not valid JSON; claim again with a new token': '{file} geçerli JSON değil; yeni bir anahtarla yeniden bağlayın',
  '{file} needs url, username and password; claim again': '{file} için url, username ve password gerekli; yeniden bağlayın',
  '--token is required: a claim token for a gateway, made on the hub\'s Organisation screen (or POST /api/v1/claim-tokens {"kind":"gateway"})': '--token gerekli: merkezin Kuruluş ekranında bir ağ geçidi için yapılan sahiplenme anahtarı (ya da POST /api/v1/claim-tokens {"kind":"gateway"})',
  '--token is required: a claim token for a node, made on the hub\'s Organisation screen (or POST /api/v1/claim-tokens {"kind":"node"})': '--token gerekli: merkezin Kuruluş ekranında bir cihaz için yapılan sahiplenme anahtarı (ya da POST /api/v1/claim-tokens {"kind":"node"})',
  // `unibos image`.
  'expected bundle, config, firstboot or claim\n\n{help}': 'bundle, config, firstboot veya claim bekleniyordu\n\n{help}',
  '--arch must be arm64 or x64, got \'{value}\'': '--arch arm64 veya x64 olmalı, verilen: \'{value}\'',
  'bundle {version} for linux-{arch} in {dir}: {files} files, {mb} MB, native addons: {addons}': 'linux-{arch} için {version} paketi {dir} içinde: {files} dosya, {mb} MB, yerel eklentiler: {addons}',
  '{line}; left out (optional): {list}': '{line}; dışarıda bırakılanlar (isteğe bağlı): {list}',
  'packed {file} (sha256 {sum})': '{file} paketlendi (sha256 {sum})',
  'say where to write: --boot DIR (the card\'s boot partition) or --out FILE': 'nereye yazılacağını söyleyin: --boot KLASÖR (kartın önyükleme bölümü) veya --out DOSYA',
  '{file} exists; --force overwrites it': '{file} zaten var; --force üzerine yazar',
  'cannot read --{flag} {path}: {reason}': '--{flag} {path} okunamıyor: {reason}',
  'not written, the device would reject it: {problems}': 'yazılmadı, cihaz bunu reddederdi: {problems}',
  'wrote {file} (role {role}, board {board}, region {region})': '{file} yazıldı (rol {role}, kart {board}, bölge {region})',
  '{line}\nnew channel key: {key} (give the same key to every device on this channel)': '{line}\nyeni kanal anahtarı: {key} (bu kanaldaki her cihaza aynı anahtarı verin)',
  // `unibos hub`.
  'UNIBOS hub: {url}/  (hub broker on port {port})': 'UNIBOS merkezi: {url}/  (merkez aracısı {port} portunda)',
  'No admin yet: open {url} to create one (or run \'unibos hub init\').': 'Henüz yönetici yok: oluşturmak için {url} adresini açın (veya \'unibos hub init\' çalıştırın).',
  'cannot read --password-file: {reason}': '--password-file okunamıyor: {reason}',
  // `unibos air`.
  'cannot listen on 127.0.0.1:{port}: {reason}': '127.0.0.1:{port} dinlenemiyor: {reason}',
  // `unibos radio`.
  'unknown subcommand \'{name}\'\n\n{help}': 'bilinmeyen alt komut \'{name}\'\n\n{help}',
  'A custom board: --board path/to/board.json (same fields; see firmware/docs/boards/).': 'Özel bir kart: --board yol/kart.json (aynı alanlar; bkz. firmware/docs/boards/).',
  // `unibos sim`.
  'cannot write the topology picture to {file}: {reason}': 'topoloji resmi {file} dosyasına yazılamıyor: {reason}',
  // `unibos demo`.
  // Claims at the hub (hub-claim.ts).
  'the hub answered the claim without broker credentials: was the token made for a node? (kind "gateway" is needed)': 'merkez bağlamayı aracı kimlik bilgileri olmadan yanıtladı: anahtar bir cihaz için mi yapıldı? (kind "gateway" gerekli)',
  'the hub answered the claim without a device token: was the token made for a gateway? (kind "node" is needed)': 'merkez bağlamayı cihaz anahtarı olmadan yanıtladı: anahtar bir ağ geçidi için mi yapıldı? (kind "node" gerekli)',
  'the hub at {url} sent no usable claim challenge; is it a UNIBOS hub of this version?': '{url} adresindeki merkez kullanılabilir bir bağlama sınaması göndermedi; bu sürümden bir UNIBOS merkezi mi?',
  'the hub refused the claim ({status}): no reason given': 'merkez bağlamayı reddetti ({status}): neden belirtilmedi',
  'the hub refused the claim ({status}): {reason}': 'merkez bağlamayı reddetti ({status}): {reason}',
  // The messenger account (messenger-account.ts).
  '{dir} already holds the messenger device of {existing} at {hub}; use another --data-dir for {email}': '{dir} zaten {hub} merkezindeki {existing} hesabının mesajlaşma cihazını tutuyor; {email} için başka bir --data-dir kullanın',
  'not logged in (no session in {dir}): run `unibos msg login --hub URL --email EMAIL` first': 'giriş yapılmamış ({dir} içinde oturum yok): önce `unibos msg login --hub URL --email EPOSTA` çalıştırın',
  'the session with {hub} ended ({reason}): run `unibos msg login` again': '{hub} ile oturum sona erdi ({reason}): `unibos msg login` komutunu yeniden çalıştırın',
  '{file} is not a messenger session ({reason}): log in again': '{file} bir mesajlaşma oturumu değil ({reason}): yeniden giriş yapın',
  'the hub at {hub} did not answer ({reason})': '{hub} adresindeki merkez yanıt vermedi ({reason})',
  'the hub refused: {reason}': 'merkez reddetti: {reason}',
  // `unibos msg`: conversations, devices, arrivals and history.
  '{id}  {name}  since {since}  one-time prekeys: {prekeys}  (this device)': '{id}  {name}  {since} tarihinden beri  tek kullanımlık ön anahtar: {prekeys}  (bu cihaz)',
  '{id}  {name}  since {since}  one-time prekeys: {prekeys}': '{id}  {name}  {since} tarihinden beri  tek kullanımlık ön anahtar: {prekeys}',
  // `msg list`: a table; NAME and KIND are the peers' and inbox's words.
  ID: 'KİMLİK',
  UNREAD: 'OKUNMAMIŞ',
  muted: 'sessiz',
  direct: 'birebir',
  group: 'grup',
  channel: 'kanal',
  'mesh node': 'ağ cihazı',
  'you': 'siz',
  'not yet confirmed by the gateway; waits at the hub while the gateway is away': 'ağ geçidi henüz onaylamadı; ağ geçidi yokken merkezde bekler',
  'sent to the gateway': 'ağ geçidine gönderildi',
  'acknowledged by the node': 'cihaz aldığını bildirdi',
  failed: 'başarısız',
  '(unnamed)': '(adsız)',
  '(direct)': '(doğrudan)',
  '(reply to {id})': '({id} mesajına yanıt)',
  '[file {name}, {bytes} bytes]': '[dosya {name}, {bytes} bayt]',
  '(expires {time})': '({time} tarihinde silinir)',
  '{who} edited {target}: {text}': '{who}, {target} mesajını düzenledi: {text}',
  '{who} deleted {target}': '{who}, {target} mesajını sildi',
  '{who} reacted {emoji} to {target}': '{who}, {target} mesajına {emoji} tepkisi verdi',
  '{who} took back a reaction to {target}': '{who}, {target} mesajına verdiği tepkiyi geri aldı',
  '{who} read up to {target}': '{who}, {target} mesajına kadar okudu',
  '(deleted)': '(silindi)',
  '{name} was added': '{name} eklendi',
  '{name} left': '{name} ayrıldı',
  '{name} was removed': '{name} çıkarıldı',
  '(read by {names})': '(okuyanlar: {names})',
  '(edited)': '(düzenlendi)',
  'the keys of {name} changed (a new or reinstalled device); {held} message(s) held until you accept. Compare the safety number {number} with them, then run `unibos msg trust {name} "{number}"`': '{name} kişisinin anahtarları değişti (yeni veya yeniden kurulmuş bir cihaz); kabul edene kadar {held} mesaj bekletiliyor. Güvenlik numarası {number} değerini onunla karşılaştırın, sonra `unibos msg trust {name} "{number}"` çalıştırın',
  'the keys of {name} changed (a new or reinstalled device). Compare the safety number {number} with them, then run `unibos msg trust {name} "{number}"`': '{name} kişisinin anahtarları değişti (yeni veya yeniden kurulmuş bir cihaz). Güvenlik numarası {number} değerini onunla karşılaştırın, sonra `unibos msg trust {name} "{number}"` çalıştırın',
  'could not read message {id} from {name}: {code}: {reason}': '{name} kişisinden gelen {id} mesajı okunamadı: {code}: {reason}',
  'a gateway\'s mesh role is always GATEWAY: --role is for `unibos node`': 'bir ağ geçidinin ağ rolü her zaman GATEWAY\'dir: --role `unibos node` içindir',
  '{who} is you: a direct message goes to someone else': '{who} sizsiniz: doğrudan mesaj başka birine gider',
  'no new messages': 'yeni mesaj yok',
  // The radio's state (`unibos status`) and an alert's kind (`unibos inbox`).
  ready: 'hazır',
  closed: 'kapalı',
  configuring: 'ayarlanıyor',
  connecting: 'bağlanıyor',
  recovering: 'toparlanıyor',
  off: 'kapalı (telsiz yok)',
  '{type}, {state}': '{type}, {state}',
  ALERT: 'ALARM',
  SAFE: 'GÜVENDE',
  WARNING: 'UYARI',
  EARTHQUAKE: 'DEPREM',
  EVACUATE: 'TAHLİYE',
  FIRE: 'YANGIN',
  FLOOD: 'SEL',
  MEDICAL: 'SAĞLIK',
  UNSPECIFIED: 'BELİRSİZ',
  'SOS sent': 'SOS gönderildi',
  // `unibos image config`: checks and questions.
  "{dir} is not a directory: is the card's boot partition mounted?": '{dir} bir klasör değil: kartın önyükleme bölümü bağlı mı?',
  '--{flag} needs --{needs}': '--{flag} için --{needs} gerekli',
  'role ({roles})': 'rol ({roles})',
  'radio board ({boards})': 'telsiz kartı ({boards})',
  'region ({regions})': 'bölge ({regions})',
  'name on the mesh (optional)': 'ağdaki ad (isteğe bağlı)',
  'channel name': 'kanal adı',
  "channel key (base64, 'new' for a random one, empty for the public channel)": "kanal anahtarı (base64; rastgele biri için 'new', genel kanal için boş)",
  'hub address, e.g. http://hub.local:8000 (optional)': 'merkez adresi, ör. http://hub.local:8000 (isteğe bağlı)',
  'claim token from the hub': 'merkezden bağlama anahtarı',
  'first admin e-mail (optional)': 'ilk yöneticinin e-postası (isteğe bağlı)',
  'first admin password ({min}+ characters)': 'ilk yöneticinin parolası ({min}+ karakter)',
  'Wi-Fi country, two letters (optional)': 'Wi-Fi ülkesi, iki harf (isteğe bağlı)',
  'Wi-Fi network name (optional)': 'Wi-Fi ağ adı (isteğe bağlı)',
  'Wi-Fi password': 'Wi-Fi parolası',
  // What is wrong with unibos.json (image/boot-config.ts), after the key it names.
  'not valid JSON: {reason}': 'geçerli JSON değil: {reason}',
  'must be an object': 'bir nesne olmalı',
  'is not a known key (check the spelling against unibos.schema.json)': 'bilinen bir anahtar değil (yazımını unibos.schema.json ile karşılaştırın)',
  'is required': 'gerekli',
  'must be a non-empty string': 'boş olmayan bir dize olmalı',
  'must be one of {allowed} (got "{value}")': 'şunlardan biri olmalı: {allowed} (verilen: "{value}")',
  'the Wi-Fi country is {country} but the LoRa region is {region} ({expected} is used there): check radio.region, a wrong region transmits where it may not':
    'Wi-Fi ülkesi {country} ama LoRa bölgesi {region} (orada {expected} kullanılır): radio.region değerini denetleyin, yanlış bölge yasak olduğu yerde yayın yapar',
  'warning: {message}': 'uyarı: {message}',
  'must be {min} to {max} characters long': '{min} ile {max} karakter arasında olmalı',
  'must be 1 (got {value})': '1 olmalı (verilen: {value})',
  'must be at most {max} bytes of UTF-8 (it travels in every announcement); got {bytes}': 'en çok {max} bayt UTF-8 olmalı (her duyuruda taşınır); verilen: {bytes}',
  'must be a host name: lower-case letters, digits and inner hyphens, at most 63 (got "{value}")': 'bir makine adı olmalı: küçük harfler, rakamlar ve arada tireler, en çok 63 (verilen: "{value}")',
  'must be host:port (got "{value}")': 'makine:port olmalı (verilen: "{value}")',
  'must be a whole number of dBm from -9 to 30 (got {value})': '-9 ile 30 arasında tam sayı dBm olmalı (verilen: {value})',
  'is only for board "sim"': 'yalnızca "sim" kartı için',
  'must be base64': 'base64 olmalı',
  'must be 16 or 32 random bytes in base64 (or AQ==, the public key); it decodes to {bytes} bytes': "base64 ile 16 veya 32 rastgele bayt olmalı (ya da genel anahtar AQ==); çözülünce {bytes} bayt",
  'must be the hub\'s http(s):// address, e.g. http://hub.local:8000 (got "{value}")': 'merkezin http(s):// adresi olmalı, ör. http://hub.local:8000 (verilen: "{value}")',
  'must be an e-mail address (got "{value}")': 'bir e-posta adresi olmalı (verilen: "{value}")',
  'is needed with hub.claimToken: where should the device claim itself?': 'hub.claimToken ile gerekli: cihaz kendini nerede bağlasın?',
  'is only for role hub or gateway+hub (the first admin of the hub on this device)': 'yalnızca hub veya gateway+hub rolü için (bu cihazdaki merkezin ilk yöneticisi)',
  'must be a two-letter country code in capitals, e.g. DE (got "{value}")': 'büyük harflerle iki harfli bir ülke kodu olmalı, ör. DE (verilen: "{value}")',
  'needs wifi.ssid': 'wifi.ssid gerektirir',
  'role and radio are required': 'role ve radio gerekli',
  // `unibos msg`: one process at a time per messenger device (device-lock.ts), and accepting only the keys that were compared.
  'the messenger device in {dir} is in use by another unibos process (pid {pid}: `unibos {command}`); two at once would reuse message keys, so nothing was done. Stop that one (Ctrl-C in its terminal) and try again':
    '{dir} içindeki mesajlaşma cihazını başka bir unibos süreci kullanıyor (pid {pid}: `unibos {command}`); ikisi birden mesaj anahtarlarını yeniden kullanırdı, bu yüzden hiçbir şey yapılmadı. Önce onu durdurun (kendi terminalinde Ctrl-C) ve yeniden deneyin',
  'the messenger device in {dir} is in use by another unibos process; two at once would reuse message keys, so nothing was done. Stop that one (e.g. a `unibos msg read --follow`) and try again':
    '{dir} içindeki mesajlaşma cihazını başka bir unibos süreci kullanıyor; ikisi birden mesaj anahtarlarını yeniden kullanırdı, bu yüzden hiçbir şey yapılmadı. Önce onu durdurun (ör. bir `unibos msg read --follow`) ve yeniden deneyin',
  'another unibos process changed the messenger device in {dir} while this one was using it; this one stops without saving or sending anything more (run one `unibos msg` at a time per data dir)':
    'bu süreç {dir} içindeki mesajlaşma cihazını kullanırken başka bir unibos süreci onu değiştirdi; bu süreç bir şey kaydetmeden ya da göndermeden duruyor (her veri klasöründe aynı anda tek bir `unibos msg` çalıştırın)',
  'that is not the number this device shows for {email} now: {number}. If theirs is this one, their keys changed again since you compared: compare again. If theirs is not, do not accept: someone may be in between. Nothing was accepted':
    'bu, bu cihazın şu anda {email} için gösterdiği numara değil: {number}. Onunki bu numaraysa, karşılaştırdığınızdan beri anahtarları yeniden değişti: yeniden karşılaştırın. Onunki bu değilse kabul etmeyin: arada biri olabilir. Hiçbir şey kabul edilmedi',
  'say which safety number you compared: `unibos msg trust {who} "NUMBER"`; it is {number} now (`unibos msg safety {who}`). Accept only if theirs is the same':
    'hangi güvenlik numarasını karşılaştırdığınızı yazın: `unibos msg trust {who} "NUMARA"`; şu anda {number} (`unibos msg safety {who}`). Yalnızca onunki aynıysa kabul edin',
  '{value} is not a safety number (60 digits, as `unibos msg safety {who}` shows them)': '{value} bir güvenlik numarası değil (`unibos msg safety {who}` komutunun gösterdiği gibi 60 rakam)',
  'the safety number is {number} now: compare it with them again (`unibos msg safety {user}`)': 'güvenlik numarası artık {number}: onu karşıdakiyle yeniden karşılaştırın (`unibos msg safety {user}`)',
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

/**
 * A value another program sent (a state, a role) as the word `words` has for it in the CLI's
 * language, else as it came. Each word is a say() of its own, where the translations test finds it.
 */
export function sayKnown(value: string, words: Readonly<Record<string, () => string>>): string {
  return Object.hasOwn(words, value) ? words[value]!() : value;
}

/**
 * English templates as patterns, to recognise a message another package wrote: those wrapping a
 * message ("the node failed: {message}") first, then longest first.
 */
const wraps = (key: string): number => (key.includes('{message}') ? 0 : 1);
const PATTERNS = Object.keys(FOREIGN_MESSAGES)
  .filter((k) => /\{\w+\}/.test(k))
  .sort((a, b) => wraps(a) - wraps(b) || b.length - a.length)
  .map((key) => {
    const names: string[] = [];
    const body = key.split(/(\{\w+\})/).map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([\\s\\S]+?)';
    });
    return { key, names, re: new RegExp(`^${body.join('')}$`) };
  });

/**
 * A message written in English elsewhere (the node's errors come over its control socket in
 * English) in the CLI's language, when it is one the CLI knows; otherwise as it is.
 */
export function sayMessage(message: string, lang: CliLang = cliLang()): string {
  if (lang === 'en') return message;
  if (message in FOREIGN_MESSAGES) return FOREIGN_MESSAGES[message]!;
  for (const p of PATTERNS) {
    const m = p.re.exec(message);
    if (!m) continue;
    const params: Record<string, string> = {};
    // A message inside a message ("the node failed: {message}") is translated too.
    p.names.forEach((name, i) => (params[name] = name === 'message' ? sayMessage(m[i + 1]!, lang) : m[i + 1]!));
    return say(p.key, params, lang);
  }
  return message;
}

/** Every key has its Turkish (tests). */
export const CLI_TURKISH = TR;
