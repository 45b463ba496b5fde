import { describe, expect, it } from 'vitest';
import { readConfig } from './config';

describe('configuration from the environment', () => {
  it('has defaults that work on a fresh clone', () => {
    expect(readConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: './data',
      allowedOrigins: [],
      publicUrl: undefined
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
      publicUrl: 'https://parley.example.org'
    });
  });

  it('refuses a PORT that is not a port number, with a sentence naming it', () => {
    expect(() => readConfig({ PORT: 'eighty' })).toThrow(/PORT must be a whole number.*eighty/);
    expect(() => readConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});
