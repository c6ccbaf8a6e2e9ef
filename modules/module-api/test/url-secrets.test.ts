// Secrets in the URLs modules are configured with, as cameras put them: in the user part, in the
// query under whatever name the maker chose, and in the path (XMEye/Sofia's
// /user=admin&password=...&channel=1). None is ever shown; what says which stream it is stays.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { redactText, redactUrl, restoreSecrets, urlSite } from '../src/index.ts';

const SECRET = 'hunter2x';

test('a password is hidden wherever a camera puts it, and the stream it names still shows', () => {
  const cases: Array<[string, string]> = [
    ['rtsp://192.168.1.30:554/user=admin&password=hunter2x&channel=1&stream=0.sdp', 'rtsp://192.168.1.30:554/user=***&password=***&channel=1&stream=0.sdp'],
    ['rtsp://192.168.1.30:554/user=admin_password=hunter2x_channel=1_stream=0.sdp?real_stream', 'rtsp://192.168.1.30:554/user=***'],
    ['http://192.168.1.21/videostream.cgi?user=admin&pw=hunter2x', 'http://192.168.1.21/videostream.cgi?user=***&pw=***'],
    ['http://192.168.1.21/mjpg/video.mjpg?usr=admin&passwd=hunter2x', 'http://192.168.1.21/mjpg/video.mjpg?usr=***&passwd=***'],
    ['http://192.168.1.21/video.cgi?loginuse=admin&loginpas=hunter2x', 'http://192.168.1.21/video.cgi?loginuse=***&loginpas=***'],
    ['http://cam/stream?sid=hunter2x&code=hunter2x', 'http://cam/stream?sid=***&code=***'],
    ['rtsp://admin:hunter2x@192.0.2.10:554/cam/realmonitor?channel=1&subtype=0', 'rtsp://admin:***@192.0.2.10:554/cam/realmonitor?channel=1&subtype=0'],
    ['http://cam/v?channel=1;pw=hunter2x', 'http://cam/v?channel=***'],
    ['rtsp://admin:hun&x=ter2x@cam/', 'rtsp://admin:***'],
    ['http://cam:80/x?pw=hun@ter2x', 'http://cam:***'],
  ];
  for (const [url, shown] of cases) {
    assert.equal(redactUrl(url), shown, url);
    assert.doesNotMatch(redactUrl(url), /hunter2x|ter2x/, url);
  }
  assert.equal(redactUrl('/dev/video0'), '/dev/video0');
});

test('a token in the fragment or as a web address\u2019s user is hidden too', () => {
  assert.equal(redactText('http://h/cb#access_token=SECRETX&x=1'), 'http://h/cb#access_token=***&x=***');
  assert.equal(redactText('clone https://ghp_abcdef123@github.com/org/repo.git'), 'clone https://***@github.com/org/repo.git');
  assert.equal(restoreSecrets('https://***@github.com/org/other.git', 'https://ghp_abcdef123@github.com/org/repo.git'), 'https://ghp_abcdef123@github.com/org/other.git');
});

test('an ffmpeg error line that names the camera has no password in it', () => {
  const line = '[rtsp @ 0x55f0] rtsp://192.168.1.30:554/user=admin&password=hunter2x&channel=1&stream=0.sdp: Server returned 401 Unauthorized';
  assert.doesNotMatch(redactText(line), /hunter2x/);
  assert.match(redactText(line), /^\[rtsp @ 0x55f0\] rtsp:\/\/192\.168\.1\.30:554\/user=\*\*\*&password=\*\*\*&channel=1/);
});

test('where a URL points, and no more: scheme, host and port', () => {
  assert.equal(urlSite('rtsp://admin:hunter2x@192.0.2.10:554/stream1'), 'rtsp://192.0.2.10:554/…');
  assert.equal(urlSite('rtsp://192.168.1.30:554/user=admin&password=hunter2x&channel=1&stream=0.sdp'), 'rtsp://192.168.1.30:554/…');
  assert.equal(urlSite('http://cam'), 'http://cam');
  // A / in the password ends the host part for a URL parser, as for ffmpeg: no host can be told, so none is named.
  assert.equal(urlSite('rtsp://admin:pa/ss@cam/x'), 'rtsp://…');
  // The host the address really goes to, not the one a hidden user part seems to leave.
  assert.equal(urlSite('rtsp://admin:x@evil.example/@cam.local:554/s'), 'rtsp://evil.example/…');
  assert.equal(urlSite('/dev/video0'), '/dev/video0');
});

// Names a maker might give its password, beside ones that say which stream it is.
const key = fc.oneof(fc.constantFrom('password', 'pw', 'pwd', 'passwd', 'code', 'token', 'key', 'auth', 'secret', 'user', 'usr', 'loginpas', 'sid', 'p', 'u', 'PassWord'), fc.stringMatching(/^[a-zA-Z_]{1,10}$/));
// A secret as typed: anything but a space (and, in a pair, the `&` that would end it), long enough not to be found by chance.
const secret = (no: RegExp) => fc.string({ unit: fc.constantFrom(...'abcXYZ0123456789!$%*+,-./:;=?@[]^_{}|~#\''.split('')), minLength: 6, maxLength: 20 }).filter((s) => !no.test(s)).map((s) => `Q7${s}`);

test('property: no secret value, under any name, in the path or the query, nor a password in the user part, is ever shown', () => {
  fc.assert(
    fc.property(fc.constantFrom('rtsp', 'http', 'https'), fc.constantFrom('/', '/cgi-bin/video.cgi?', '/live/'), key, secret(/&/), fc.constantFrom('', '&channel=1&stream=0.sdp', ';subtype=0'), (scheme, at, k, s, tail) => {
      if (/^(channel|channels|chn|ch|stream|streamtype|subtype|substream|profile|resolution|res|width|height|fps|framerate|videocodec|codec|compression|quality|transportmode|transport|unicast|camera|cam|cmd|action|mode|format|type|audio|video|bitrate)$/i.test(k)) return;
      const url = `${scheme}://192.0.2.7:554${at}${k}=${s}${tail}`;
      for (const shown of [redactUrl(url), redactText(`failed: ${url}: refused`), urlSite(url)]) assert.ok(!shown.includes(s), `${url} -> ${shown}`);
    }),
  );
  fc.assert(
    fc.property(fc.constantFrom('rtsp', 'http'), fc.stringMatching(/^[a-z]{1,8}$/), secret(/\s/), fc.constantFrom('/stream1', '/x?channel=1', ''), (scheme, user, s, path) => {
      const url = `${scheme}://${user}:${s}@192.0.2.7${path}`;
      for (const shown of [redactUrl(url), redactText(`${url}: refused`), urlSite(url)]) assert.ok(!shown.includes(s), `${url} -> ${shown}`);
    }),
  );
});

test('a URL edited around its *** gets back the secrets stored in the same places, and only there', () => {
  const stored = 'rtsp://192.168.1.30:554/user=admin&password=hunter2x&channel=1&stream=0.sdp';
  const shown = redactUrl(stored);
  assert.equal(restoreSecrets(shown.replace('channel=1', 'channel=2'), stored), 'rtsp://192.168.1.30:554/user=admin&password=hunter2x&channel=2&stream=0.sdp');
  assert.equal(restoreSecrets(shown.replace('user=***', 'user=guest'), stored), 'rtsp://192.168.1.30:554/user=guest&password=hunter2x&channel=1&stream=0.sdp');
  const withUser = 'http://admin:hunter2x@192.0.2.11/video.cgi?pwd=yard2x';
  assert.equal(restoreSecrets('http://admin:***@192.0.2.11/mjpg/video.cgi?pwd=***', withUser), 'http://admin:hunter2x@192.0.2.11/mjpg/video.cgi?pwd=yard2x');
  // Another host, another user, or a *** where nothing was stored: refused, nothing filled in.
  assert.equal(restoreSecrets(shown.replace('192.168.1.30', '203.0.113.9'), stored), null);
  assert.equal(restoreSecrets('http://root:***@192.0.2.11/video.cgi?pwd=***', withUser), null);
  assert.equal(restoreSecrets(`${shown}&token=***`, stored), null);
  assert.equal(restoreSecrets('rtsp://***:554/x', stored), null);
  // Edits that only look like the same host: the parsed host, port and user must be the stored ones.
  const token = 'rtsp://admin:pw@cam.local:554/s?token=T0PSECRET';
  assert.equal(restoreSecrets('rtsp://admin:x@evil.example/@cam.local:554/s?token=***', token), null);
  assert.equal(restoreSecrets('rtsp://:x@evil.example/@192.168.1.30:554/user=***&password=***&channel=1', stored), null);
  assert.equal(restoreSecrets('rtsp://admin:***@cam.local:8554/s?token=***', token), null, 'another port');
  assert.equal(restoreSecrets('rtsp://admin:***@evil.example:554x/stream1', 'rtsp://admin:T0PSECRET@[fe80::1%25eth0]:554/stream1'), null, 'addresses a parser refuses are never matched');
  assert.equal(restoreSecrets('rtsp://admin:***@cam.local:554/t?token=***', token), 'rtsp://admin:pw@cam.local:554/t?token=T0PSECRET');
  assert.equal(restoreSecrets('rtsp://192.168.1.30:554/user=admin&password=new-pass', stored), 'rtsp://192.168.1.30:554/user=admin&password=new-pass', 'a new password is taken as typed');
});
