// The Turkish of the CLI's --help pages (issue 19), keyed by their English text as the commands
// write it: a page is one template, so its translation can reorder and rewrap freely.

export const HELP_PAGES_TR: Record<string, string> = {
  // unibos msg --help
  [`usage: unibos msg <command> [arguments] [options]

End-to-end encrypted messages through the hub. This machine is one messenger device of your hub
account: its keys are made here and never leave the data dir; the hub relays only ciphertext.

commands:
  login --hub URL --email EMAIL [--password-file FILE] [--device-name NAME]
                      log in and register this device (the password is read from FILE, else
                      asked for at a terminal, else read from stdin)
  devices [--revoke ID]
                      list your messenger devices, or revoke one (it gets nothing more)
  list                your conversations, with unread counts
  dm WHO "text"       send a direct message to WHO (an email or user id of your org)
  send CONVERSATION "text" [--reply-to ID] [--expires DURATION] [--attach FILE]
                      send into a conversation (its id, group name, or the other person of a DM)
  read [CONVERSATION] [--follow]
                      fetch and decrypt what arrived, print it in order with names and mark it read;
                      with CONVERSATION, print that conversation's whole history
  group create NAME --member WHO [--member WHO ...] [--channel] [--description TEXT]
  group add CONVERSATION WHO [WHO ...]
  group remove CONVERSATION WHO
                      groups and channels; adding or removing a member re-keys the group
  node !NODE ["text"]
                      send an end-to-end encrypted direct message (at most 117 bytes) to a mesh node
                      through the gateway that heard it last; without text, that conversation with
                      each sent message's state (queued, sent, delivered, failed)
  safety WHO          the safety number to compare with WHO (in person or on a call)
  trust WHO NUMBER    NUMBER is the safety number you compared with WHO (from \`msg safety WHO\`):
                      accepts WHO's changed keys and marks WHO verified; refused if their keys
                      changed again since
  keys                this device's id, name and key fingerprint, and each conversation partner's
                      device fingerprints with their trust state (pinned, changed awaiting trust)

options:
  --hub URL           the hub's address, e.g. http://hub.local:8000 (login; no default)
  --email EMAIL       your hub account (login; no default)
  --password-file FILE
                      a file whose first line is the password (login; default: ask at a terminal,
                      else read stdin)
  --device-name NAME  how this device is listed (login; default: "cli on <hostname>")
  --revoke ID         a device id from \`unibos msg devices\` (devices; default: list only)
  --reply-to ID       a message id to reply to (send; default: none)
  --expires DURATION  delete the message after DURATION: a number and s, m, h, d or w, from 10s to 4w (send; default: never)
  --attach FILE       a file to send encrypted along with the text, at most 10 MiB (send; default: none)
  --follow            keep running and print messages as they arrive, until Ctrl-C (read; default: off)
  --member WHO        a member to add, email or user id; repeat for more (group create; default: none)
  --channel           make a channel, where only owner and admins post (group create; default: a group)
  --description TEXT  the group's description (group create; default: none)
  --data-dir DIR      where the session and this device's keys are kept, files 0600 (default: {dataDir})
`]:
    `kullanım: unibos msg <komut> [argümanlar] [seçenekler]

Merkez üzerinden uçtan uca şifreli mesajlar. Bu makine, merkez hesabınızın mesajlaşma cihazlarından
biridir: anahtarları burada üretilir ve veri klasöründen hiç çıkmaz; merkez yalnızca şifreli metni iletir.

komutlar:
  login --hub URL --email EPOSTA [--password-file DOSYA] [--device-name AD]
                      oturum açar ve bu cihazı kaydeder (parola DOSYA'dan okunur, yoksa bir terminalde
                      sorulur, yoksa standart girdiden okunur)
  devices [--revoke KİMLİK]
                      mesajlaşma cihazlarınızı listeler ya da birini iptal eder (artık hiçbir şey almaz)
  list                konuşmalarınız, okunmamış sayılarıyla
  dm KİM "metin"      KİM'e (kuruluşunuzdan bir e-posta ya da kullanıcı kimliği) doğrudan mesaj gönderir
  send KONUŞMA "metin" [--reply-to KİMLİK] [--expires SÜRE] [--attach DOSYA]
                      bir konuşmaya gönderir (kimliği, grup adı ya da bir doğrudan mesajdaki diğer kişi)
  read [KONUŞMA] [--follow]
                      geleni alır, şifresini çözer, adlarla sırayla yazdırır ve okundu işaretler;
                      KONUŞMA verilirse o konuşmanın tüm geçmişini yazdırır
  group create AD --member KİM [--member KİM ...] [--channel] [--description METİN]
  group add KONUŞMA KİM [KİM ...]
  group remove KONUŞMA KİM
                      gruplar ve kanallar; üye eklemek ya da çıkarmak grubun anahtarını yeniler
  node !CİHAZ ["metin"]
                      bir ağ cihazına, onu en son duyan ağ geçidi üzerinden uçtan uca şifreli
                      doğrudan mesaj gönderir (en çok 117 bayt); metin verilmezse o konuşmayı, her
                      gönderilen mesajın durumuyla gösterir (sırada, gönderildi, teslim edildi, başarısız)
  safety KİM          KİM ile (yüz yüze ya da telefonda) karşılaştırılacak güvenlik numarası
  trust KİM NUMARA    NUMARA, KİM ile karşılaştırdığınız güvenlik numarası (\`msg safety KİM\`):
                      KİM'in değişen anahtarlarını kabul eder ve KİM'i doğrulanmış olarak işaretler;
                      anahtarlar o zamandan beri yeniden değiştiyse reddedilir
  keys                bu cihazın kimliği, adı ve anahtar parmak izi; her konuşma ortağının cihaz parmak
                      izleri ve güven durumları (sabitlendi, değişti ve güven bekliyor)

seçenekler:
  --hub URL           merkezin adresi, ör. http://hub.local:8000 (login; varsayılan yok)
  --email EPOSTA      merkez hesabınız (login; varsayılan yok)
  --password-file DOSYA
                      ilk satırı parola olan bir dosya (login; varsayılan: terminalde sorulur, yoksa
                      standart girdiden okunur)
  --device-name AD    bu cihazın listelerdeki adı (login; varsayılan: "cli on <makine adı>")
  --revoke KİMLİK     \`unibos msg devices\` çıktısından bir cihaz kimliği (devices; varsayılan: yalnızca listele)
  --reply-to KİMLİK   yanıtlanacak mesajın kimliği (send; varsayılan: yok)
  --expires SÜRE      mesajı SÜRE sonra siler: bir sayı ve s, m, h, d ya da w, 10s ile 4w arası (send; varsayılan: hiçbir zaman)
  --attach DOSYA      metinle birlikte şifreli gönderilecek dosya, en çok 10 MiB (send; varsayılan: yok)
  --follow            çalışmayı sürdürür ve gelen mesajları Ctrl-C'ye kadar yazdırır (read; varsayılan: kapalı)
  --member KİM        eklenecek üye, e-posta ya da kullanıcı kimliği; daha fazlası için tekrarlayın (group create; varsayılan: yok)
  --channel           yalnızca sahip ve yöneticilerin yazdığı bir kanal oluşturur (group create; varsayılan: grup)
  --description METİN
                      grubun açıklaması (group create; varsayılan: yok)
  --data-dir KLASÖR   oturumun ve bu cihazın anahtarlarının tutulduğu yer, dosyalar 0600 (varsayılan: {dataDir})
`,
  // unibos node --help
  [`usage: unibos node [options]
       unibos node claim --hub-api URL --token TOKEN [--name NAME] [--data-dir DIR]

Runs a UNIBOS field device: the mesh router on a LoRa radio (a RAK3172 modem on a serial port, an
SX1262/SX1276 board on SPI with --radio spi --board NAME, see \`unibos radio boards\`, or the
simulated air of \`unibos air\`), GPS, the SOS button and status LED, and a local control API
for \`unibos status|peers|send|sos|inbox\`. Logs are JSON lines on stdout. Settings come from
defaults < <data-dir>/config.json (or --config) < environment < these flags.

'claim' makes this node its org's own at the hub: it answers the hub's challenge with the node's
identity keys (<data-dir>/identity.json) and a claim token of kind "node" made by a hub admin, and
keeps the device token the hub returns in <data-dir>/hub-device.json (0600). Until then the hub
lists the node, if its gateways hear it, as "heard, unclaimed".

{flags}

Example, three nodes in a line on one machine (run \`unibos air\` first):
  unibos node --data-dir /tmp/a --lat 41.000 --lon 29.000 --http-port off
  unibos node --data-dir /tmp/b --lat 41.000 --lon 29.060 --http-port off
  unibos node --data-dir /tmp/c --lat 41.000 --lon 29.120 --http-port off
`]:
    `kullanım: unibos node [seçenekler]
          unibos node claim --hub-api URL --token ANAHTAR [--name AD] [--data-dir KLASÖR]

Bir UNIBOS saha cihazı çalıştırır: LoRa telsizi üzerinde ağ yönlendiricisi (seri porttaki bir RAK3172
modem, SPI üzerinde --radio spi --board AD ile bir SX1262/SX1276 kartı, bkz. \`unibos radio boards\`,
veya \`unibos air\` ile benzetilmiş telsiz ortamı), GPS, SOS düğmesi ve durum ışığı, ayrıca
\`unibos status|peers|send|sos|inbox\` için yerel bir denetim API'si. Günlükler stdout'a JSON
satırları olarak yazılır. Ayarların önceliği: varsayılanlar < <data-dir>/config.json (veya --config)
< ortam değişkenleri < bu seçenekler.

'claim' bu cihazı merkezde kuruluşunun cihazı yapar: merkezin sorusunu cihazın kimlik anahtarlarıyla
(<data-dir>/identity.json) ve bir merkez yöneticisinin oluşturduğu "node" türünde bir bağlama
anahtarıyla yanıtlar; merkezin verdiği cihaz anahtarını <data-dir>/hub-device.json (0600) dosyasında
saklar. O zamana kadar merkez, ağ geçitleri cihazı duyuyorsa onu "duyuldu, sahipsiz" olarak listeler.

{flags}

Örnek, tek makinede bir hat üzerinde üç cihaz (önce \`unibos air\` çalıştırın):
  unibos node --data-dir /tmp/a --lat 41.000 --lon 29.000 --http-port off
  unibos node --data-dir /tmp/b --lat 41.000 --lon 29.060 --http-port off
  unibos node --data-dir /tmp/c --lat 41.000 --lon 29.120 --http-port off
`,
  // unibos gateway --help
  [`usage: unibos gateway [options]
       unibos gateway device add ID [--role sensor|hub] [--allow '[read|write|readwrite] TOPIC']... [--deny TOPIC]...
       unibos gateway device list | remove ID  [--data-dir DIR]
       unibos gateway claim --hub-api URL --token TOKEN [--name NAME] [--data-dir DIR]
       unibos gateway outbox [--requeue all|SEQ,...] [--data-dir DIR]

Runs a gateway: a UNIBOS node (it tells an SOS sender once the SOS is safely queued for the hub) plus an MQTT broker for local sensors, the
mesh<->MQTT bridge (unibos/v1/gw/{id}/rx|tx|status, unibos/v1/mesh/{node}/{kind}, Home Assistant
discovery) and, with a hub, a durable uplink that forwards everything with QoS 1.

A device may write and read only unibos/v1/sensor/ID/# unless it has topic rules (mosquitto's ACL
format, outside unibos/v1/ only): --allow 'write tele/%u/#' (%u = the device id, %c = its client
id; access defaults to readwrite), --deny 'cmnd/%u/Backlog' (wins over any allow); or for every
device, in the file given to --acl-file (lines 'user ID', 'topic [read|write|readwrite|deny] TOPIC',
'pattern ...'). A bad rule is refused with its line (or flag) and the reason.

'claim' trades a claim token (made by a hub admin) for this gateway's hub credentials, proving with
the gateway's identity keys (<data-dir>/identity.json) that it is the device it claims to be, and
keeps them in <data-dir>/hub.json (0600); 'unibos gateway' then connects to that hub unless --hub
is given.

'outbox' shows the messages waiting for the hub (urgent ones, such as SOS, go first) and the dead
letters: messages the hub kept refusing (it ended the connection each time), set aside with the
reason so they cannot block the queue. --requeue puts them back once the hub is fixed; an urgent
one (an SOS, an alert) goes back by itself after 1, 5, 15 minutes and then every hour.

  --mqtt-host ADDR     address the MQTT listeners bind to (default 127.0.0.1)
  --mqtt-port N        MQTT over TCP (default 1883)
  --ws-port N|off      MQTT over WebSocket (default 8083)
  --allow-anonymous    accept clients without credentials, from loopback only (default: off)
  --acl-file PATH      topic rules for devices' own topic trees (mosquitto ACL format; default: none)
  --generic-topic PATTERN
                       read a number, ON/OFF or JSON payload on topics like 'home/{device}/{metric}'
                       as readings (repeatable; {device} required; default: none)
  --hub URL            the hub broker, e.g. mqtt://hub.local:1884 (default: from the claim, else none)
  --hub-user NAME      username at the hub (default: from the claim)
  --hub-password-file PATH
                       file holding the hub password (default: from the claim) [UNIBOS_HUB_PASSWORD]
{flags}
`]:
    `kullanım: unibos gateway [seçenekler]
          unibos gateway device add KİMLİK [--role sensor|hub] [--allow '[read|write|readwrite] KONU']... [--deny KONU]...
          unibos gateway device list | remove KİMLİK  [--data-dir KLASÖR]
          unibos gateway claim --hub-api URL --token ANAHTAR [--name AD] [--data-dir KLASÖR]
          unibos gateway outbox [--requeue all|SIRA,...] [--data-dir KLASÖR]

Bir ağ geçidi çalıştırır: bir UNIBOS cihazı (SOS gönderene, SOS merkez için güvenle sıraya alınınca haber verir), yerel sensörler için bir MQTT aracısı,
ağ<->MQTT köprüsü (unibos/v1/gw/{id}/rx|tx|status, unibos/v1/mesh/{node}/{kind}, Home Assistant
keşfi) ve bir merkez varsa her şeyi QoS 1 ile ileten kalıcı bir merkez bağlantısı.

Bir cihaz, konu kuralları yoksa yalnızca unibos/v1/sensor/KİMLİK/# altına yazıp okuyabilir (kurallar
mosquitto ACL biçiminde, yalnızca unibos/v1/ dışında): --allow 'write tele/%u/#' (%u = cihaz kimliği,
%c = istemci kimliği; erişim verilmezse readwrite), --deny 'cmnd/%u/Backlog' (her allow'dan üstündür);
ya da tüm cihazlar için --acl-file ile verilen dosyada ('user KİMLİK', 'topic [read|write|readwrite|deny] KONU',
'pattern ...' satırları). Hatalı bir kural, satırı (veya seçeneği) ve nedeniyle reddedilir.

'claim' bir bağlama anahtarını (bir merkez yöneticisi oluşturur) bu ağ geçidinin merkez kimlik
bilgileriyle takas eder; ağ geçidinin kimlik anahtarlarıyla (<data-dir>/identity.json) iddia ettiği
cihaz olduğunu kanıtlar ve bilgileri <data-dir>/hub.json (0600) dosyasında saklar; ardından
'unibos gateway', --hub verilmedikçe o merkeze bağlanır.

'outbox' merkezi bekleyen mesajları (SOS gibi acil olanlar önce gider) ve teslim edilemeyenleri
gösterir: merkezin sürekli reddettiği (her seferinde bağlantıyı kestiği) mesajlar, kuyruğu
tıkamasınlar diye nedeniyle birlikte bir kenara konur. Merkez düzeltilince --requeue onları geri koyar;
acil olanlar (SOS, uyarı) 1, 5, 15 dakika sonra, ardından her saat kendiliğinden yeniden denenir.

  --mqtt-host ADRES    MQTT dinleyicilerinin bağlandığı adres (varsayılan 127.0.0.1)
  --mqtt-port N        TCP üzerinden MQTT (varsayılan 1883)
  --ws-port N|off      WebSocket üzerinden MQTT (varsayılan 8083)
  --allow-anonymous    kimlik bilgisi olmayan istemcileri yalnızca loopback'ten kabul et (varsayılan: kapalı)
  --acl-file YOL       cihazların kendi konu ağaçları için konu kuralları (mosquitto ACL biçimi; varsayılan: yok)
  --generic-topic DESEN
                       'home/{device}/{metric}' gibi konulardaki sayı, ON/OFF veya JSON yükünü
                       ölçüm olarak oku (tekrarlanabilir; {device} gerekli; varsayılan: yok)
  --hub URL            merkez aracısı, ör. mqtt://hub.local:1884 (varsayılan: bağlamadan, yoksa yok)
  --hub-user AD        merkezdeki kullanıcı adı (varsayılan: bağlamadan)
  --hub-password-file YOL
                       merkez parolasını tutan dosya (varsayılan: bağlamadan) [UNIBOS_HUB_PASSWORD]
{flags}
`,
  // unibos hub --help
  [`usage: unibos hub [options]
       unibos hub init --email EMAIL (--password-file PATH | env UNIBOS_ADMIN_PASSWORD) [--org NAME] [--data-dir DIR]

Runs the hub: the HTTP API and admin UI (default http://127.0.0.1:8000), the event stream at
/ws, OpenAPI at /docs, and the hub broker gateways connect to (default port 1884). Settings:
defaults < <data-dir>/hub.json < UNIBOS_HUB_* environment < these flags.

  --data-dir DIR       state folder (default ~/.unibos/hub) [UNIBOS_HUB_DATA_DIR]
  --host ADDR          HTTP bind address (default 127.0.0.1) [UNIBOS_HUB_HOST]
  --port N             HTTP port (default 8000) [UNIBOS_HUB_PORT]
  --mqtt-host ADDR     hub broker bind address (default 127.0.0.1) [UNIBOS_HUB_MQTT_HOST]
  --mqtt-port N        hub broker port (default 1884) [UNIBOS_HUB_MQTT_PORT]
  --mqtt-url URL       broker URL given to claiming gateways [UNIBOS_HUB_MQTT_URL]
  --offline-after S    silence before a node is offline (default 300) [UNIBOS_HUB_OFFLINE_AFTER_S]
  --cors ORIGINS       comma-separated origins allowed by CORS (default: none) [UNIBOS_HUB_CORS_ORIGINS]
  --map-tiles URL      tile URL template for the map (default: the offline map) [UNIBOS_HUB_MAP_TILES]
`]:
    `kullanım: unibos hub [seçenekler]
          unibos hub init --email E-POSTA (--password-file YOL | ortam değişkeni UNIBOS_ADMIN_PASSWORD) [--org AD] [--data-dir KLASÖR]

Merkezi çalıştırır: HTTP API ve yönetim arayüzü (varsayılan http://127.0.0.1:8000), /ws adresinde
olay akışı, /docs adresinde OpenAPI ve ağ geçitlerinin bağlandığı merkez aracısı (varsayılan port
1884). Ayarların önceliği: varsayılanlar < <data-dir>/hub.json < UNIBOS_HUB_* ortam değişkenleri <
bu seçenekler.

  --data-dir KLASÖR    durum klasörü (varsayılan ~/.unibos/hub) [UNIBOS_HUB_DATA_DIR]
  --host ADRES         HTTP bağlanma adresi (varsayılan 127.0.0.1) [UNIBOS_HUB_HOST]
  --port N             HTTP portu (varsayılan 8000) [UNIBOS_HUB_PORT]
  --mqtt-host ADRES    merkez aracısının bağlanma adresi (varsayılan 127.0.0.1) [UNIBOS_HUB_MQTT_HOST]
  --mqtt-port N        merkez aracısının portu (varsayılan 1884) [UNIBOS_HUB_MQTT_PORT]
  --mqtt-url URL       bağlanan ağ geçitlerine verilen aracı adresi [UNIBOS_HUB_MQTT_URL]
  --offline-after S    bir cihazın çevrimdışı sayılması için geçmesi gereken sessizlik, sn (varsayılan 300) [UNIBOS_HUB_OFFLINE_AFTER_S]
  --cors KÖKENLER      CORS'un izin verdiği, virgülle ayrılmış kökenler (varsayılan: yok) [UNIBOS_HUB_CORS_ORIGINS]
  --map-tiles URL      harita için karo URL şablonu (varsayılan: çevrimdışı harita) [UNIBOS_HUB_MAP_TILES]
`,
  // unibos demo --help
  [`usage: unibos demo [options]

Runs hub + gateway + simulated nodes on this machine, with data flowing, and prints the admin
URL and login. State is kept in the data dir, so a restart keeps the fleet and the login.

  --data-dir DIR       demo state (default: $UNIBOS_DEMO_DIR, else ~/.unibos/demo)
  --port N             hub HTTP port, 0..65535 (default 8000, or a free one if 8000 is taken)
  --mqtt-port N        hub broker port, 0..65535 (default 1884, or a free one)
  --gateway-port N     the gateway's MQTT port for local sensors, 0..65535 (default 1883, or a free one)
  --nodes N            simulated field nodes, 1..8 (default 5)
  --fresh              start over: delete the demo state first (default: keep it)

The nodes and the gateway answer \`unibos status|peers|inbox|send|sos --node NAME\` (e.g. --node Clinic,
--node "Demo gateway").
`]:
    `kullanım: unibos demo [seçenekler]

Bu makinede merkez + ağ geçidi + benzetilmiş cihazları veri akışıyla çalıştırır ve yönetim
adresini ve giriş bilgilerini yazar. Durum veri klasöründe saklanır; yeniden başlatınca cihazlar ve
giriş bilgileri korunur.

  --data-dir KLASÖR    demo durumu (varsayılan: $UNIBOS_DEMO_DIR, yoksa ~/.unibos/demo)
  --port N             merkezin HTTP portu, 0..65535 (varsayılan 8000, doluysa boş bir port)
  --mqtt-port N        merkez aracısının portu, 0..65535 (varsayılan 1884, yoksa boş bir port)
  --gateway-port N     ağ geçidinin yerel sensörler için MQTT portu, 0..65535 (varsayılan 1883, yoksa boş bir port)
  --nodes N            benzetilmiş saha cihazı sayısı, 1..8 (varsayılan 5)
  --fresh              baştan başla: önce demo durumunu sil (varsayılan: koru)

Cihazlar ve ağ geçidi \`unibos status|peers|inbox|send|sos --node AD\` komutlarına yanıt verir (ör. --node Clinic,
--node "Demo gateway").
`,
  // unibos sim --help
  [`usage: unibos sim [options]

Simulates LoRa nodes running the UNIBOS router on a shared radio medium (path loss, shadowing,
per-link loss, collisions, half-duplex, airtime) and reports how floods spread.

  --nodes N          number of nodes (default 30)
  --topology T       line | grid | random | mixed (default random); mixed = a town, villages,
                     farms and hilltop relays (try --nodes 500)
  --loss P           extra per-reception loss, 0..0.95 (default 0.2)
  --seed N           random seed; the same seed gives the same run (default 1)
  --frames N         broadcast frames originated by random nodes (default 20)
  --hop-limit N      0..7 (default 3)
  --preset NAME      {presets} (default LongFast)
  --strategy S       naive | baseline | ours | all (default all)
  --threshold X      ours: share of neighbours a relay must newly reach (default {threshold})
  --svg PATH         where to write the picture: each strategy's map side by side, with its
                     latency-over-hops chart (default sim-report.svg)
`]:
    `kullanım: unibos sim [seçenekler]

Ortak bir benzetilmiş telsiz ortamında (yol kaybı, gölgeleme, bağlantı başına kayıp, çakışmalar,
yarı çift yönlü iletim, yayın süresi) UNIBOS yönlendiricisini çalıştıran LoRa cihazlarını benzetir ve
yayınların ağa nasıl yayıldığını raporlar.

  --nodes N          cihaz sayısı (varsayılan 30)
  --topology T       line | grid | random | mixed (varsayılan random); mixed = bir kasaba, köyler,
                     çiftlikler ve tepe aktarıcıları (--nodes 500 deneyin)
  --loss P           alım başına ek kayıp, 0..0.95 (varsayılan 0.2)
  --seed N           rastgelelik tohumu; aynı tohum aynı çalışmayı verir (varsayılan 1)
  --frames N         rastgele cihazların başlattığı yayın çerçevesi sayısı (varsayılan 20)
  --hop-limit N      0..7 (varsayılan 3)
  --preset AD        {presets} (varsayılan LongFast)
  --strategy S       naive | baseline | ours | all (varsayılan all)
  --threshold X      ours: bir aktarıcının yeni ulaşması gereken komşu oranı (varsayılan {threshold})
  --svg YOL          resmin yazılacağı yer: her stratejinin haritası yan yana, atlama başına
                     gecikme grafiğiyle (varsayılan sim-report.svg)
`,
  // unibos image --help
  [`usage: unibos image bundle [--arch arm64|x64] [--out DIR] [--tarball FILE]
       unibos image config [--boot DIR | --out FILE] [--role R] [--board B] [--region R] [options]
       unibos image firstboot [--boot DIR] [--state DIR] [--etc DIR] [--led DIR] [--user NAME]
       unibos image claim [--state DIR]

'bundle' compiles this checkout to plain JavaScript (no TypeScript tooling at run time), copies the
production dependencies only, checks that every native addon is built for --arch (default: this
machine's) and writes SHA256SUMS; --tarball also packs it, with FILE.sha256 beside it (what
images/build.sh hands to the pi-gen stage).

'config' writes unibos.json, the file a flashed card's boot partition carries for its first boot,
from these flags, asking for what is missing when run in a terminal. It refuses to write a file the
device would reject.
  --boot DIR           the card's boot partition (writes DIR/unibos.json; one of --boot or --out is required)
  --out FILE           or write FILE (default: none)
  --role R             {roles} (required)
  --board B            {boards} (required; a terminal offers rak3172-hat)
  --region R           EU868, EU433, US915, ANZ, IN865: where the device is (required; a terminal asks)
  --preset P           LongFast, LongSlow, MediumFast, ShortFast (default LongFast; MediumFast in US915)
  --tx-power DBM       power out of the board, -9..30 and at most the region's limit (default: 14, or the limit where lower)
  --name NAME          name on the mesh and the hub (up to 39 bytes; default: UNIBOS + node id)
  --hostname NAME      host name (default unibos-XXXXXXXX, the node id)
  --channel NAME       channel name (default: the public channel)
  --channel-key B64|new  channel key; 'new' makes a random 16-byte key (share it with the other devices)
  --hub-url URL        the hub, e.g. http://hub.local:8000 (default: none)
  --claim-token T      claim token from the hub (kind gateway or node; default: none)
  --admin-email E      role hub or gateway+hub: the first admin (default: none)
  --admin-password-file PATH  a file holding the first admin's password (a terminal asks for it instead)
  --wifi-country CC    Wi-Fi country (two letters; default: none)
  --wifi-ssid SSID     Wi-Fi network to join (default: none, Ethernet only)
  --wifi-password-file PATH  a file holding the Wi-Fi password (a terminal asks for it instead)
  --force              overwrite an existing file (default: refuse)

'firstboot' (unibos-firstboot.service, as root) applies <boot>/unibos.json; 'claim'
(unibos-claim.service) claims the device at its hub, retrying until the hub answers.
`]:
    `kullanım: unibos image bundle [--arch arm64|x64] [--out KLASÖR] [--tarball DOSYA]
          unibos image config [--boot KLASÖR | --out DOSYA] [--role R] [--board B] [--region R] [seçenekler]
          unibos image firstboot [--boot KLASÖR] [--state KLASÖR] [--etc KLASÖR] [--led KLASÖR] [--user AD]
          unibos image claim [--state KLASÖR]

'bundle' bu kaynak kopyasını düz JavaScript'e derler (çalışırken TypeScript araçları gerekmez),
yalnızca üretim bağımlılıklarını kopyalar, her yerel eklentinin --arch için derlendiğini denetler
(varsayılan: bu makineninki) ve SHA256SUMS yazar; --tarball ayrıca paketler ve yanına DOSYA.sha256
koyar (images/build.sh'nin pi-gen aşamasına verdiği budur).

'config', yazılmış bir kartın önyükleme bölümünün ilk açılış için taşıdığı unibos.json dosyasını bu
seçeneklerden yazar; bir uçbirimde çalışınca eksik olanları sorar. Cihazın reddedeceği bir dosyayı
yazmayı reddeder.
  --boot KLASÖR        kartın önyükleme bölümü (KLASÖR/unibos.json yazar; --boot veya --out'tan biri gerekli)
  --out DOSYA          veya DOSYA'yı yaz (varsayılan: yok)
  --role R             {roles} (gerekli)
  --board B            {boards} (gerekli; uçbirim rak3172-hat önerir)
  --region R           EU868, EU433, US915, ANZ, IN865: cihazın bulunduğu yer (gerekli; uçbirim sorar)
  --preset P           LongFast, LongSlow, MediumFast, ShortFast (varsayılan LongFast; US915'te MediumFast)
  --tx-power DBM       karttan çıkan güç, -9..30 ve en çok bölgenin sınırı (varsayılan: 14, ya da daha düşükse sınır)
  --name AD            ağda ve merkezde görünen ad (en çok 39 bayt; varsayılan: UNIBOS + cihaz kimliği)
  --hostname AD        makine adı (varsayılan: cihaz kimliğiyle unibos-XXXXXXXX)
  --channel AD         kanal adı (varsayılan: genel kanal)
  --channel-key B64|new  kanal anahtarı; 'new' rastgele 16 baytlık bir anahtar üretir (diğer cihazlarla paylaşın)
  --hub-url URL        merkez, ör. http://hub.local:8000 (varsayılan: yok)
  --claim-token T      merkezden bağlama anahtarı (gateway veya node türünde; varsayılan: yok)
  --admin-email E      hub veya gateway+hub rolünde: ilk yönetici (varsayılan: yok)
  --admin-password-file YOL  ilk yöneticinin parolasını tutan dosya (bir uçbirimde sorulur)
  --wifi-country CC    Wi-Fi ülkesi (iki harf; varsayılan: yok)
  --wifi-ssid SSID     bağlanılacak Wi-Fi ağı (varsayılan: yok, yalnızca Ethernet)
  --wifi-password-file YOL  Wi-Fi parolasını tutan dosya (bir uçbirimde sorulur)
  --force              var olan dosyanın üzerine yaz (varsayılan: reddet)

'firstboot' (unibos-firstboot.service, root olarak) <boot>/unibos.json dosyasını uygular; 'claim'
(unibos-claim.service) cihazı merkezine bağlar, merkez yanıt verene kadar yeniden dener.
`,
  // unibos module --help
  [`usage: unibos module <command> [options]

  list                       installed modules and their state
  info NAME                  one module: manifest, state, settings
  enable NAME                enable (and set up) a module
  disable NAME               disable (and unload) a module
  settings NAME [KEY=VALUE]  show the settings, or change them (values are JSON, else text)
  create NAME                scaffold a new module (manifest, hub plugin, device handler, test)
  run NAME COMMAND [ARGS]    run one of a module's own CLI commands

options:
  --hub URL            a running hub's API (default $UNIBOS_HUB_URL); needs --token
  --token T            an access token or API key (default $UNIBOS_HUB_TOKEN)
  --modules-dir DIR    where modules live (default: this installation's modules/)
  --data-dir DIR       the hub's data dir, for modules.json without a hub (default ~/.unibos/hub)
  --category C         create: {categories} (default iot)
`]:
    `kullanım: unibos module <komut> [seçenekler]

  list                       kurulu modüller ve durumları
  info AD                    tek bir modül: bildirimi, durumu, ayarları
  enable AD                  bir modülü aç (ve kur)
  disable AD                 bir modülü kapat (ve boşalt)
  settings AD [ANAHTAR=DEĞER]  ayarları göster veya değiştir (değerler JSON, değilse metin)
  create AD                  yeni bir modül iskeleti oluştur (bildirim, merkez eklentisi, cihaz işleyicisi, test)
  run AD KOMUT [ARGÜMANLAR]  bir modülün kendi CLI komutlarından birini çalıştır

seçenekler:
  --hub URL            çalışan bir merkezin API'si (varsayılan $UNIBOS_HUB_URL); --token gerektirir
  --token T            bir erişim anahtarı veya API anahtarı (varsayılan $UNIBOS_HUB_TOKEN)
  --modules-dir KLASÖR  modüllerin bulunduğu yer (varsayılan: bu kurulumun modules/ klasörü)
  --data-dir KLASÖR    merkez olmadan modules.json için merkezin veri klasörü (varsayılan ~/.unibos/hub)
  --category C         create: {categories} (varsayılan iot)
`,
  // unibos radio --help
  [`usage: unibos radio boards
       unibos radio probe --board NAME|PATH [--twin] [--region R] [--preset P] [--frequency HZ] [--tx-power DBM] [--data-dir DIR] [--config PATH]

'boards' lists the SX1262/SX1276 boards \`unibos node --radio spi --board NAME\` knows.
'probe' opens the board's SPI device and GPIO lines, resets the chip, reads what identifies it,
configures it with the node's frequency plan and starts it listening, printing each step and, when
one fails, what to change ("enable SPI (dtparam=spi=on)", "check the RESET pin ..."). --twin runs
the same driver against the chip's register-level twin instead of the hardware. The board, region
and plan come from the node's config (<data-dir>/config.json, environment) unless given here.
Exit code 0 when the chip answered and listens, 1 otherwise.
`]:
    `kullanım: unibos radio boards
          unibos radio probe --board AD|YOL [--twin] [--region R] [--preset P] [--frequency HZ] [--tx-power DBM] [--data-dir KLASÖR] [--config YOL]

'boards', \`unibos node --radio spi --board AD\` komutunun tanıdığı SX1262/SX1276 kartlarını listeler.
'probe' kartın SPI aygıtını ve GPIO hatlarını açar, yongayı sıfırlar, onu tanıtan bilgileri okur,
cihazın frekans planıyla ayarlar ve dinlemeye başlatır; her adımı yazar ve biri başarısız olursa
neyin değişmesi gerektiğini söyler ("enable SPI (dtparam=spi=on)", "check the RESET pin ...").
--twin aynı sürücüyü donanım yerine yonganın yazmaç düzeyindeki ikizine karşı çalıştırır. Kart,
bölge ve plan burada verilmedikçe cihazın ayarlarından (<data-dir>/config.json, ortam değişkenleri) gelir.
Çıkış kodu: yonga yanıt verip dinliyorsa 0, yoksa 1.
`,
  // unibos air --help
  [`usage: unibos air [options]

Runs the simulated LoRa air on loopback. Nodes started with \`unibos node --radio sim --lat --lon\`
join it; who hears whom follows their distance under the simulator's propagation model (a
LongFast node reaches about 8 km), with collisions, half-duplex and airtime as on real radios.

  --port N          TCP port on 127.0.0.1 (default {port}; 0 = any free port)
  --preset NAME     {presets} (default LongFast)
  --frequency HZ    centre frequency (default 869525000)
  --loss P          extra chance that a reception is lost, 0..1 (default 0)
  --shadowing DB    per-link shadowing sigma in dB (default 0: distance alone decides)
  --seed N          shadowing seed (default 1)
`]:
    `kullanım: unibos air [seçenekler]

Benzetilmiş LoRa ortamını loopback üzerinde çalıştırır. \`unibos node --radio sim --lat --lon\` ile
başlatılan cihazlar ona katılır; kimin kimi duyacağı, benzeticinin yayılım modelinde aralarındaki
uzaklığa göre belirlenir (bir LongFast cihazı yaklaşık 8 km'ye ulaşır); gerçek telsizlerdeki gibi
çakışmalar, yarı çift yönlü iletim ve yayın süresi de vardır.

  --port N          127.0.0.1 üzerindeki TCP portu (varsayılan {port}; 0 = herhangi bir boş port)
  --preset AD       {presets} (varsayılan LongFast)
  --frequency HZ    merkez frekans (varsayılan 869525000)
  --loss P          bir alımın kaybolması için ek olasılık, 0..1 (varsayılan 0)
  --shadowing DB    bağlantı başına gölgeleme sapması, dB (varsayılan 0: yalnızca uzaklık belirler)
  --seed N          gölgeleme tohumu (varsayılan 1)
`,
};

// The device settings' help lines (firmware's CONFIG_KEYS, shown by `unibos node|gateway --help`)
// and the words node-flags.ts puts after them.
export const NODE_FLAGS_TR: Record<string, string> = {
  'state folder (identity, database, control socket)':
    'durum klasörü (kimlik, veritabanı, denetim soketi)',
  'long name shown to others, up to 39 bytes (default: UNIBOS + node id)':
    'başkalarına görünen uzun ad, en çok 39 bayt (varsayılan: UNIBOS + cihaz kimliği)',
  'CLIENT, ROUTER or GATEWAY (a gateway acknowledges SOS)':
    'CLIENT, ROUTER veya GATEWAY (ağ geçidi SOS alındısı verir)',
  'regulatory region (band, duty cycle, dwell time, transmit power; NONE only for a simulated radio)':
    'yasal bölge (bant, görev döngüsü, kanalda kalma süresi, gönderim gücü; NONE yalnızca benzetilmiş telsiz için)',
  "LoRa modem preset (default: LongFast, MediumFast in US915, whose dwell limit LongFast's frames exceed)":
    'LoRa modem ön ayarı (varsayılan: LongFast; US915’te MediumFast, çünkü LongFast çerçeveleri oradaki kanalda kalma sınırını aşar)',
  'centre frequency, Hz (default: the region\'s usual channel)':
    'merkez frekans, Hz (varsayılan: bölgenin olağan kanalı)',
  "transmit power at the radio's output, dBm, at most the region's limit (default: 14, or the limit where lower)":
    'telsiz çıkışındaki gönderim gücü, dBm, en çok bölgenin sınırı (varsayılan: 14, ya da daha düşükse sınır)',
  'hops our frames may travel':
    'çerçevelerimizin gidebileceği atlama sayısı',
  'channel name':
    'kanal adı',
  'sim (joins `unibos air`), serial (RAK3172 modem), spi (SX1262/SX1276 board, see --board), spi-twin (that board\'s chip emulated on `unibos air`) or none (nothing goes on air: a flashed card no one has set up yet)':
    'sim (`unibos air` ortamına katılır), serial (RAK3172 modem), spi (SX1262/SX1276 kartı, bkz. --board), spi-twin (o kartın yongası `unibos air` üzerinde benzetilir) veya none (yayına hiçbir şey çıkmaz: henüz kimsenin ayarlamadığı yazılmış bir kart)',
  'LoRa board for --radio spi: a name (`unibos radio boards`) or the path of a JSON board profile':
    '--radio spi için LoRa kartı: bir ad (`unibos radio boards`) veya bir JSON kart profilinin yolu',
  'simulated air to join':
    'katılınacak benzetilmiş telsiz ortamı',
  'modem serial port':
    'modemin seri portu',
  'position source':
    'konum kaynağı',
  'fixed position (sim GPS), degrees':
    'sabit konum (benzetilmiş GPS), derece',
  'gpsd to read':
    'okunacak gpsd',
  'NMEA receiver serial port':
    'NMEA alıcısının seri portu',
  'button/LED/buzzer: none, virtual, gpiod (libgpiod tools, no root) or raspi (pigpio, as root)':
    'düğme/LED/sesli uyarıcı: none, virtual, gpiod (libgpiod araçları, root gerekmez) veya raspi (pigpio, root olarak)',
  'loopback health and metrics port (0 = any free port, off = none)':
    'loopback üzerinde sağlık ve ölçüm portu (0 = herhangi bir boş port, off = yok)',
  'a module whose device-side handler this node runs, repeatable (default: none; env: comma-separated)':
    'bu cihazın cihaz tarafı işleyicisini çalıştırdığı bir modül, tekrarlanabilir (varsayılan: yok; ortam değişkeninde virgülle ayrılmış)',
  'folder of modules/NAME/module.json (default: the modules/ folder next to the runtime)':
    'modules/NAME/module.json klasörü (varsayılan: çalışma ortamının yanındaki modules/ klasörü)',
  'one of {values}':
    'şunlardan biri: {values}',
  'default {value}':
    'varsayılan {value}',
  'default: none':
    'varsayılan: yok',
  'PATH':
    'YOL',
  '  --config PATH        JSON config file (default: none)':
    '  --config YOL         JSON ayar dosyası (varsayılan: yok)',
};
