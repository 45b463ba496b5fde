import type { Attachment } from 'svelte/attachments';

/**
 * Plays `stream` in a `<video>` or `<audio>` element (`{@attach playStream(stream)}`); the element is set
 * again whenever the stream changes. A refused autoplay (no user gesture yet) is left as is: the stream
 * starts with the next attempt.
 */
export function playStream(stream: MediaStream | null): Attachment<HTMLMediaElement> {
  return (element) => {
    if (element.srcObject !== stream) element.srcObject = stream;
    if (stream) void element.play().catch(() => {});
    return () => {
      element.srcObject = null;
    };
  };
}

/** One or two letters for a tile without video. */
export function getInitials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length === 1 ? [[...words[0]][0]] : [[...words[0]][0], [...words[1]][0]];
  return letters.join('').toUpperCase();
}
