import { beforeEach, describe, expect, it } from 'vitest';
import type { SignalData } from '../domain/calls';
import { Mesh, type LocalTracks } from './mesh';
import { asStream, asTrack, FakePeerConnection, FakeStream, FakeTrack, settle } from './testing';

function setUp({ camera = true, microphone = true } = {}) {
  const audio = microphone ? new FakeTrack('audio') : null;
  const video = camera ? new FakeTrack('video') : null;
  const stream = new FakeStream([audio, video].filter((t): t is FakeTrack => t !== null));
  const local: LocalTracks = {
    stream: asStream(stream),
    audio: audio ? asTrack(audio) : null,
    video: video ? asTrack(video) : null,
    hasMicrophone: microphone,
    hasCamera: camera
  };
  const sent: { to: string; data: SignalData }[] = [];
  let changes = 0;
  const errors: string[] = [];
  const mesh = new Mesh({
    iceServers: [{ urls: 'stun:stun.example' }],
    local: () => local,
    send: (to, data) => sent.push({ to, data }),
    onChange: () => changes++,
    onError: (peerId) => errors.push(peerId),
    createPeerConnection: (config) => new FakePeerConnection(config),
    createStream: (tracks) => asStream(new FakeStream(tracks as unknown as FakeTrack[]))
  });
  return { mesh, local, sent, errors, changes: () => changes };
}

const pcs = () => FakePeerConnection.created;

beforeEach(() => {
  FakePeerConnection.created = [];
});

describe('Mesh: the joiner offers', () => {
  it('R111: offers to each peer already there, with an audio and a video transceiver sending the local tracks', async () => {
    const { mesh, sent } = setUp();
    mesh.connect('p_bob');
    mesh.connect('p_carol');
    mesh.connect('p_bob');
    await settle();
    expect(pcs()).toHaveLength(2);
    expect(pcs()[0].config).toEqual({ iceServers: [{ urls: 'stun:stun.example' }] });
    expect(pcs()[0].log).toEqual([
      'addTransceiver audio sendrecv with track',
      'addTransceiver video sendrecv with track',
      'createOffer',
      'setLocalDescription offer'
    ]);
    expect(sent).toEqual([
      { to: 'p_bob', data: { kind: 'offer', sdp: 'offer(sendrecv,sendrecv)' } },
      { to: 'p_carol', data: { kind: 'offer', sdp: 'offer(sendrecv,sendrecv)' } }
    ]);
  });

  it('R119: without a camera the video transceiver only receives, so the others’ video still comes', async () => {
    const { mesh, sent } = setUp({ camera: false });
    mesh.connect('p_bob');
    await settle();
    expect(pcs()[0].log.slice(0, 2)).toEqual([
      'addTransceiver audio sendrecv with track',
      'addTransceiver video recvonly'
    ]);
    expect(sent[0].data).toEqual({ kind: 'offer', sdp: 'offer(sendrecv,recvonly)' });
  });

  it('queues candidates that come before the answer and adds them, in order, once it is set', async () => {
    const { mesh } = setUp();
    mesh.connect('p_bob');
    await settle();
    const pc = pcs()[0];
    await mesh.handleSignal('p_bob', { kind: 'candidate', candidate: { candidate: 'c1', sdpMid: '0' } });
    await mesh.handleSignal('p_bob', { kind: 'candidate', candidate: { candidate: 'c2', sdpMid: '1' } });
    expect(pc.candidates).toEqual([]);
    await mesh.handleSignal('p_bob', { kind: 'answer', sdp: 'answer' });
    await mesh.handleSignal('p_bob', { kind: 'candidate', candidate: { candidate: 'c3' } });
    expect(pc.log.slice(4)).toEqual([
      'setRemoteDescription answer',
      'addIceCandidate c1',
      'addIceCandidate c2',
      'addIceCandidate c3'
    ]);
  });

  it('sends its own ICE candidates to the peer, and not after the peer left', async () => {
    const { mesh, sent } = setUp();
    mesh.connect('p_bob');
    await settle();
    pcs()[0].emitCandidate('candidate:host');
    pcs()[0].onicecandidate?.({ candidate: null });
    expect(sent.at(-1)).toEqual({
      to: 'p_bob',
      data: { kind: 'candidate', candidate: { candidate: 'candidate:host', sdpMid: '0', sdpMLineIndex: 0 } }
    });
    const count = sent.length;
    const pc = pcs()[0];
    mesh.remove('p_bob');
    pc.emitCandidate('candidate:late');
    expect(sent).toHaveLength(count);
  });
});

describe('Mesh: peers already there answer', () => {
  it('answers an offer with its tracks on the offered transceivers, and never offers itself', async () => {
    const { mesh, sent } = setUp();
    await mesh.handleSignal('p_dave', { kind: 'offer', sdp: 'offer' });
    const pc = pcs()[0];
    expect(pc.log).toEqual(['setRemoteDescription offer', 'createAnswer', 'setLocalDescription answer']);
    expect(pc.transceivers.map((t) => [t.direction, t.sender.track?.kind])).toEqual([
      ['sendrecv', 'audio'],
      ['sendrecv', 'video']
    ]);
    expect(sent).toEqual([{ to: 'p_dave', data: { kind: 'answer', sdp: 'answer(sendrecv,sendrecv)' } }]);
    expect(mesh.peers.get('p_dave')?.role).toBe('answerer');
  });

  it('without a camera it answers receiving video only', async () => {
    const { mesh, sent } = setUp({ camera: false });
    await mesh.handleSignal('p_dave', { kind: 'offer', sdp: 'offer' });
    expect(sent[0].data).toEqual({ kind: 'answer', sdp: 'answer(sendrecv,recvonly)' });
  });

  it('drops answers and candidates of peers it does not know (they left)', async () => {
    const { mesh, sent } = setUp();
    await mesh.handleSignal('p_gone', { kind: 'answer', sdp: 'x' });
    await mesh.handleSignal('p_gone', { kind: 'candidate', candidate: { candidate: 'c' } });
    expect(pcs()).toHaveLength(0);
    expect(sent).toEqual([]);
  });

  it('a second offer from a peer that rejoined starts a new connection', async () => {
    const { mesh } = setUp();
    await mesh.handleSignal('p_dave', { kind: 'offer', sdp: 'one' });
    await mesh.handleSignal('p_dave', { kind: 'offer', sdp: 'two' });
    expect(pcs()).toHaveLength(2);
    expect(pcs()[0].closed).toBe(true);
    expect(mesh.peers.get('p_dave')?.pc).toBe(pcs()[1]);
  });
});

describe('Mesh: media and cleanup', () => {
  it('collects the peer’s tracks into one stream and reports the connection', async () => {
    const { mesh, changes } = setUp();
    await mesh.handleSignal('p_dave', { kind: 'offer', sdp: 'offer' });
    const pc = pcs()[0];
    const audio = pc.emitTrack('audio');
    const video = pc.emitTrack('video');
    const stream = mesh.peers.get('p_dave')!.stream as unknown as FakeStream;
    expect(stream.getTracks()).toEqual([audio, video]);
    const before = changes();
    pc.setConnectionState('connected');
    expect(mesh.peers.get('p_dave')!.state).toBe('connected');
    expect(changes()).toBe(before + 1);
  });

  it('a failed connection is closed and reported', async () => {
    const { mesh, errors } = setUp();
    mesh.connect('p_bob');
    await settle();
    pcs()[0].setConnectionState('failed');
    expect(pcs()[0].closed).toBe(true);
    expect(mesh.peers.get('p_bob')?.state).toBe('failed');
    expect(errors).toEqual(['p_bob']);
  });

  it('a step that throws fails that peer only', async () => {
    const { mesh, errors } = setUp();
    mesh.connect('p_bob');
    await settle();
    const bob = pcs()[0];
    bob.setRemoteDescription = async () => {
      throw new Error('bad sdp');
    };
    await mesh.handleSignal('p_bob', { kind: 'answer', sdp: 'x' });
    expect(errors).toEqual(['p_bob']);
    expect(bob.closed).toBe(true);
  });

  it('remove() closes one connection; close() closes all', async () => {
    const { mesh } = setUp();
    mesh.connect('p_bob');
    await mesh.handleSignal('p_carol', { kind: 'offer', sdp: 'offer' });
    mesh.remove('p_bob');
    expect(pcs()[0].closed).toBe(true);
    expect(pcs()[1].closed).toBe(false);
    mesh.close();
    expect(pcs()[1].closed).toBe(true);
    expect(mesh.peers.size).toBe(0);
    // A closed mesh takes nothing new.
    mesh.connect('p_dave');
    await mesh.handleSignal('p_erin', { kind: 'offer', sdp: 'offer' });
    expect(pcs()).toHaveLength(2);
  });

  it('setTrack replaces the track of every sending transceiver of that kind, camera off and on', async () => {
    const { mesh } = setUp();
    mesh.connect('p_bob');
    await mesh.handleSignal('p_carol', { kind: 'offer', sdp: 'offer' });
    await mesh.setTrack('video', null);
    for (const pc of pcs()) {
      expect(pc.transceivers.map((t) => t.sender.track?.kind ?? null)).toEqual(['audio', null]);
    }
    const camera = new FakeTrack('video');
    await mesh.setTrack('video', asTrack(camera));
    for (const pc of pcs()) expect(pc.transceivers[1].sender.track).toBe(camera);
  });
});
