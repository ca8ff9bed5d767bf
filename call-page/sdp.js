// @ts-check
/**
 * SDP munging for `earshot call`'s page (call-page.js): the Opus bitrate cap. Plain JavaScript with
 * no imports, loaded by the page and by the tests.
 */

/**
 * Set (or add) `maxaveragebitrate` on every Opus payload type's fmtp line of an SDP.
 * @param {string} sdp
 * @param {number} bitrate bits per second
 */
export function withOpusBitrate(sdp, bitrate) {
  const lines = sdp.split('\r\n');
  /** @type {Set<string>} */
  const opus = new Set();
  for (const l of lines) {
    const m = /^a=rtpmap:(\d+) opus\//i.exec(l);
    if (m) opus.add(m[1]);
  }
  const seen = new Set();
  const out = lines.map((l) => {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (!m || !opus.has(m[1])) return l;
    seen.add(m[1]);
    const params = m[2].split(';').filter((p) => p.trim() !== '' && !/^\s*maxaveragebitrate=/i.test(p));
    params.push(`maxaveragebitrate=${bitrate}`);
    return `a=fmtp:${m[1]} ${params.join(';')}`;
  });
  // An Opus payload without an fmtp line gets one after its rtpmap.
  for (const pt of opus) {
    if (seen.has(pt)) continue;
    const i = out.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `));
    out.splice(i + 1, 0, `a=fmtp:${pt} maxaveragebitrate=${bitrate}`);
  }
  return out.join('\r\n');
}
