// A new SOS must reach the operator who is looking elsewhere: a short siren from the page (Web
// Audio, no sound file) and a system notification when the operator allowed them. Both are
// offered, never forced: the notification asks for permission only when the operator says so.

import { t } from './i18n.js';

/** @type {AudioContext | null} */
let audio = null;

/** Three rising beeps; silent when the browser blocks sound until a click. */
export function playSiren() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'square';
      osc.frequency.setValueAtTime(740, now + i * 0.35);
      osc.frequency.linearRampToValueAtTime(1100, now + i * 0.35 + 0.25);
      gain.gain.setValueAtTime(0.08, now + i * 0.35);
      gain.gain.linearRampToValueAtTime(0, now + i * 0.35 + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.35);
      osc.stop(now + i * 0.35 + 0.3);
    }
    document.documentElement.dataset.lastSiren = String(Date.now());
  } catch {
    // No audio here: the banner and the notification still tell.
  }
}

/** @returns {'granted' | 'denied' | 'default' | 'unsupported'} */
export function notificationPermission() {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export async function askNotificationPermission() {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

/**
 * @param {string} title
 * @param {string} body
 * @param {string} tag one notification per alert
 * @param {() => void} onClick
 */
export function notifySos(title, body, tag, onClick) {
  if (notificationPermission() !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: true, lang: document.documentElement.lang });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker: the banner still shows.
  }
}

export const NOTIFICATION_LABEL = () => t('Notify me of SOS');
