/**
 * The microphone and camera for a call (SPEC R119): both when there are both; audio only when there is
 * no camera (or it cannot be used); and, when the browser refuses, a sentence that says what to allow.
 */

export interface LocalMedia {
  stream: MediaStream;
  /** A camera track was had: "Turn camera off/on" applies. Without one the call is audio only. */
  hasCamera: boolean;
  hasMicrophone: boolean;
  /** Something worth telling about what was got (audio only), or `null`. */
  notice: string | null;
}

export type AcquireResult = { ok: true; media: LocalMedia } | { ok: false; error: string };

/** What `navigator.mediaDevices` offers that this module uses. */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
}

export const REFUSED_SENTENCE =
  'Your browser blocked the microphone and camera. Allow them for this site (the camera icon in the address bar, or the site settings), then try again.';
export const NO_DEVICES_SENTENCE =
  'No microphone or camera was found. Connect a microphone (and a camera if you like), then try again.';
export const IN_USE_SENTENCE =
  'The microphone or camera could not be started: another app may be using it. Close that app, then try again.';
export const INSECURE_SENTENCE =
  'Calls need a secure connection: open Parley over https (or on localhost) to use the microphone and camera.';
export const AUDIO_ONLY_NOTICE = 'No camera was found, so you are in the call with audio only.';
export const VIDEO_ONLY_NOTICE = 'No microphone was found: others can see you but not hear you.';

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 } };

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
}

/** The device is not there, or is there but cannot give what was asked. */
const isMissing = (name: string) =>
  name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError';
const isRefused = (name: string) =>
  name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError';
const isBusy = (name: string) => name === 'NotReadableError' || name === 'AbortError';

/** The sentence for a getUserMedia failure. */
export function describeMediaError(error: unknown): string {
  const name = errorName(error);
  if (isRefused(name)) return REFUSED_SENTENCE;
  if (isMissing(name)) return NO_DEVICES_SENTENCE;
  if (isBusy(name)) return IN_USE_SENTENCE;
  return `The microphone and camera could not be started (${name || String(error)}).`;
}

export async function acquireMedia(
  devices: MediaDevicesLike | undefined = typeof navigator === 'undefined'
    ? undefined
    : navigator.mediaDevices
): Promise<AcquireResult> {
  if (!devices?.getUserMedia) return { ok: false, error: INSECURE_SENTENCE };
  const got = (stream: MediaStream, notice: string | null): AcquireResult => ({
    ok: true,
    media: {
      stream,
      hasCamera: stream.getVideoTracks().length > 0,
      hasMicrophone: stream.getAudioTracks().length > 0,
      notice
    }
  });
  try {
    return got(await devices.getUserMedia({ audio: true, video: VIDEO }), null);
  } catch (error) {
    const name = errorName(error);
    // Refused is refused: asking again for less would only prompt again.
    if (!isMissing(name) && !isBusy(name)) return { ok: false, error: describeMediaError(error) };
  }
  // No camera (or one that is busy): the call is audio only.
  try {
    return got(await devices.getUserMedia({ audio: true }), AUDIO_ONLY_NOTICE);
  } catch (error) {
    if (!isMissing(errorName(error))) return { ok: false, error: describeMediaError(error) };
  }
  // No microphone either way: a camera alone still lets others see this person.
  try {
    return got(await devices.getUserMedia({ video: VIDEO }), VIDEO_ONLY_NOTICE);
  } catch (error) {
    return { ok: false, error: describeMediaError(error) };
  }
}

/** Asks for the camera again after "Turn camera on" (its track was stopped so its light goes off). */
export async function acquireCamera(
  devices: MediaDevicesLike | undefined = typeof navigator === 'undefined'
    ? undefined
    : navigator.mediaDevices
): Promise<{ ok: true; track: MediaStreamTrack } | { ok: false; error: string }> {
  if (!devices?.getUserMedia) return { ok: false, error: INSECURE_SENTENCE };
  try {
    const stream = await devices.getUserMedia({ video: VIDEO });
    const [track] = stream.getVideoTracks();
    if (!track) return { ok: false, error: NO_DEVICES_SENTENCE };
    return { ok: true, track };
  } catch (error) {
    return { ok: false, error: describeMediaError(error) };
  }
}
