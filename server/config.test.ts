import { describe, expect, it } from 'vitest';
import { readConfig } from './config';

describe('configuration from the environment', () => {
  it('has defaults that work on a fresh clone', () => {
    expect(readConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: './data',
      allowedOrigins: [],
      publicUrl: undefined,
      iceServers: []
    });
  });

  it('reads PORT, HOST, DATA_DIR, ALLOWED_ORIGINS and PUBLIC_URL', () => {
    expect(
      readConfig({
        PORT: '8080',
        HOST: '127.0.0.1',
        DATA_DIR: '/var/lib/parley',
        ALLOWED_ORIGINS: ' https://a.example , http://localhost:5173/ ,',
        PUBLIC_URL: 'https://parley.example.org/'
      })
    ).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/var/lib/parley',
      allowedOrigins: ['https://a.example', 'http://localhost:5173'],
      publicUrl: 'https://parley.example.org',
      iceServers: []
    });
  });

  it('R113: reads PARLEY_ICE_SERVERS, a JSON array of STUN and TURN servers', () => {
    const servers = [
      { urls: 'stun:stun.example.org:3478' },
      {
        urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
        username: 'parley',
        credential: 's3cret'
      }
    ];
    expect(readConfig({ PARLEY_ICE_SERVERS: JSON.stringify(servers) }).iceServers).toEqual(servers);
    expect(readConfig({ PARLEY_ICE_SERVERS: '  ' }).iceServers).toEqual([]);
    expect(readConfig({ PARLEY_ICE_SERVERS: '[]' }).iceServers).toEqual([]);
  });

  it('R113: refuses a PARLEY_ICE_SERVERS that is not such a list, with a sentence saying what is wrong', () => {
    const read = (value: string) => () => readConfig({ PARLEY_ICE_SERVERS: value });
    expect(read('stun:stun.example.org')).toThrow(/PARLEY_ICE_SERVERS must be a JSON array.*not valid JSON/);
    expect(read('{"urls":"stun:a"}')).toThrow(/PARLEY_ICE_SERVERS.*not an array/);
    expect(read('["stun:a"]')).toThrow(/entry 1 is not an object/);
    expect(read('[{"url":"stun:a"}]')).toThrow(/entry 1 needs "urls"/);
    expect(read('[{"urls":[]}]')).toThrow(/entry 1 needs "urls"/);
    expect(read('[{"urls":"stun:a"},{"urls":"https://b"}]')).toThrow(/entry 2 has “https:\/\/b”/);
    expect(read('[{"urls":"turn:b:3478"}]')).toThrow(/entry 1 is a TURN server.*username.*credential/);
    expect(read('[{"urls":"turn:b","username":"u","credential":5}]')).toThrow(
      /"credential" that is not text/
    );
  });

  it('refuses a PORT that is not a port number, with a sentence naming it', () => {
    expect(() => readConfig({ PORT: 'eighty' })).toThrow(/PORT must be a whole number.*eighty/);
    expect(() => readConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});
