// A modal question: a title and content above a confirming button and Cancel (focused unless
// `focus` says otherwise). Used before what cannot be taken back: resolving an SOS for everyone,
// an alert into the mesh.

import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * @param {{ id: string, title: string, content: Node[], confirmLabel: string, focus?: HTMLElement }} q
 * @returns {Promise<boolean>} whether it was confirmed
 */
export function ask(q) {
  // The dialog form's submit closes it with the confirming button's value, only once the content's
  // fields are valid (a note too long for the mesh keeps it open; Escape after that is no yes).
  const confirm = h('button', { type: 'submit', class: 'primary', value: 'ok' }, q.confirmLabel);
  const cancel = h('button', { type: 'button' }, t('Cancel'));
  const dialog = h('dialog', { class: 'ack-dialog', 'aria-labelledby': q.id }, h('form', { method: 'dialog' }, h('h2', { id: q.id }, q.title), ...q.content, h('div', { class: 'form-actions' }, confirm, cancel)));
  cancel.addEventListener('click', () => dialog.close('cancel'));
  const answered = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  (q.focus ?? cancel).focus();
  return /** @type {Promise<boolean>} */ (answered);
}
