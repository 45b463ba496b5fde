import { describe, expect, it } from 'vitest';
import {
  acquireCamera,
  acquireMedia,
  AUDIO_ONLY_NOTICE,
  IN_USE_SENTENCE,
  INSECURE_SENTENCE,
  NO_DEVICES_SENTENCE,
  REFUSED_SENTENCE,
  VIDEO_ONLY_NOTICE,
  type MediaDevicesLike
} from './media';
import { asStream, FakeStream, FakeTrack } from './testing';

const fail = (name: string) => Object.assign(new Error(name), { name });

/** Devices that exist (`audio`, `video`) or not, or a browser that refuses (`refuse`). */
function devices({
  audio = true,
  video = true,
  refuse = false,
  busy = false
}: {
  audio?: boolean;
  video?: boolean;
  refuse?: boolean;
  busy?: boolean;
}): MediaDevicesLike & { asked: MediaStreamConstraints[] } {
  const asked: MediaStreamConstraints[] = [];
  return {
    asked,
    async getUserMedia(constraints) {
      asked.push(constraints);
      if (refuse) throw fail('NotAllowedError');
      if (busy) throw fail('NotReadableError');
      if ((constraints.audio && !audio) || (constraints.video && !video)) throw fail('NotFoundError');
      const tracks: FakeTrack[] = [];
      if (constraints.audio) tracks.push(new FakeTrack('audio'));
      if (constraints.video) tracks.push(new FakeTrack('video'));
      return asStream(new FakeStream(tracks));
    }
  };
}

describe('acquireMedia (R119)', () => {
  it('microphone and camera when both exist', async () => {
    const result = await acquireMedia(devices({}));
    expect(result.ok && result.media).toMatchObject({ hasCamera: true, hasMicrophone: true, notice: null });
  });

  it('audio only, with a notice, when there is no camera', async () => {
    const d = devices({ video: false });
    const result = await acquireMedia(d);
    expect(result.ok && result.media).toMatchObject({
      hasCamera: false,
      hasMicrophone: true,
      notice: AUDIO_ONLY_NOTICE
    });
    expect(d.asked.map((c) => [!!c.audio, !!c.video])).toEqual([
      [true, true],
      [true, false]
    ]);
  });

  it('camera only, with a notice, when there is no microphone', async () => {
    const result = await acquireMedia(devices({ audio: false }));
    expect(result.ok && result.media).toMatchObject({
      hasCamera: true,
      hasMicrophone: false,
      notice: VIDEO_ONLY_NOTICE
    });
  });

  it('a refusal says what to allow, and is not asked again for less', async () => {
    const d = devices({ refuse: true });
    expect(await acquireMedia(d)).toEqual({ ok: false, error: REFUSED_SENTENCE });
    expect(d.asked).toHaveLength(1);
    expect(REFUSED_SENTENCE).toMatch(/Allow them for this site/);
  });

  it('no devices at all, devices in use, and no mediaDevices (not a secure page) each have their sentence', async () => {
    expect(await acquireMedia(devices({ audio: false, video: false }))).toEqual({
      ok: false,
      error: NO_DEVICES_SENTENCE
    });
    expect(await acquireMedia(devices({ busy: true }))).toEqual({ ok: false, error: IN_USE_SENTENCE });
    expect(await acquireMedia({} as MediaDevicesLike)).toEqual({ ok: false, error: INSECURE_SENTENCE });
  });

  it('acquireCamera gives a new camera track, or the sentence', async () => {
    const got = await acquireCamera(devices({}));
    expect(got.ok && (got.track as unknown as FakeTrack).kind).toBe('video');
    expect(await acquireCamera(devices({ refuse: true }))).toEqual({ ok: false, error: REFUSED_SENTENCE });
  });
});
