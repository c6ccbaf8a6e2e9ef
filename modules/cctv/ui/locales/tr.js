// Türkçe: cctv's screen (../cctv-ui.js), keyed by its English text. A missing entry shows the
// English; controlplane/test/ui-module-i18n.test.ts fails when a string the UI uses has no Turkish
// here.

/** @type {Record<string, string | Record<string, string>>} */
export const TR = {
  Cameras: 'Kameralar',
  Camera: 'Kamera',
  Source: 'Kaynak',
  State: 'Durum',
  Frames: 'Kare',
  Events: 'Olay',
  Upload: 'Yükleme',
  starting: 'başlıyor',
  live: 'canlı',
  reconnecting: 'yeniden bağlanıyor',
  ended: 'sona erdi',
  unavailable: 'kullanılamıyor',
  stopped: 'durduruldu',
  thumbnails: 'küçük resimler',
  off: 'kapalı',
  'No camera configured.': 'Ayarlanmış kamera yok.',
  'Working (OpenCV {opencv}); {count} files kept on the node.': { one: 'Çalışıyor (OpenCV {opencv}); düğümde {count} dosya tutuluyor.', other: 'Çalışıyor (OpenCV {opencv}); düğümde {count} dosya tutuluyor.' },
  'Working; {count} files kept on the node.': { one: 'Çalışıyor; düğümde {count} dosya tutuluyor.', other: 'Çalışıyor; düğümde {count} dosya tutuluyor.' },
  Motion: 'Hareket',
  'Motion events': 'Hareket olayları',
  'No motion yet.': 'Henüz hareket yok.',
  'Motion at {camera}': '{camera} kamerasında hareket',
  'motion in {zone}': '{zone} bölgesinde hareket',
  '{area} of the frame': 'görüntünün {area} kadarı',
  'picture kept on the node': 'görüntü düğümde tutuluyor',
  'Snapshots and clips stay on the camera node. A thumbnail reaches the hub only for a camera whose upload is on (module settings).': 'Anlık görüntüler ve klipler kamera düğümünde kalır. Merkeze yalnızca yüklemesi açık olan kameraların küçük resmi gelir (modül ayarları).',
  'Could not load cctv: {error}': 'cctv yüklenemedi: {error}',
};
