// A camera's state as a member who may not manage modules sees it (GET /cameras and /status, the
// camera_status events every member of the org gets): its source, and any address in its reason,
// only as where it points (`rtsp://192.168.1.20:554/…`). The hub's admins see the whole source,
// its secrets hidden (module-api's redactUrl, as every label is).

import { urlSite, type ModuleProblem } from '@unibos/module-api';
import type { CameraState } from './camera.ts';

/** A URL in text, without the punctuation that ends a sentence after it ("rtsp://cam/x: refused"). */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/\S*?(?=[:,;.)]*(?:\s|$))/gi;

const sites = (text: string): string => text.replace(URL_IN_TEXT, (url) => urlSite(url));

export function forViewer<T extends Pick<CameraState, 'source' | 'reason' | 'problem'>>(state: T): T {
  const problem: ModuleProblem | null = state.problem && { ...state.problem, params: Object.fromEntries(Object.entries(state.problem.params ?? {}).map(([k, v]) => [k, typeof v === 'string' ? sites(v) : v])) };
  return { ...state, source: urlSite(state.source), reason: state.reason === null ? null : sites(state.reason), problem };
}
