/** The call page's SDP munging (call-page/sdp.js, plain browser JavaScript, loaded as a module). */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const specifier = pathToFileURL(join(here, '../../call-page/sdp.js')).href;
const { withOpusBitrate } = (await import(specifier)) as { withOpusBitrate: (sdp: string, bitrate: number) => string };

const ANSWER = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  '',
].join('\r\n');

describe('withOpusBitrate', () => {
  it("adds maxaveragebitrate to Opus' fmtp line only", () => {
    const out = withOpusBitrate(ANSWER, 6000).split('\r\n');
    expect(out).toContain('a=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=6000');
    expect(out).toContain('a=fmtp:63 111/111');
    expect(out.length).toBe(ANSWER.split('\r\n').length);
  });

  it('replaces an earlier value, and adds an fmtp line where Opus has none', () => {
    const once = withOpusBitrate(ANSWER, 6000);
    expect(withOpusBitrate(once, 32000)).toBe(withOpusBitrate(ANSWER, 32000));
    const bare = ANSWER.replace('a=fmtp:111 minptime=10;useinbandfec=1\r\n', '');
    const out = withOpusBitrate(bare, 16000).split('\r\n');
    expect(out[out.indexOf('a=rtpmap:111 opus/48000/2') + 1]).toBe('a=fmtp:111 maxaveragebitrate=16000');
  });
});
