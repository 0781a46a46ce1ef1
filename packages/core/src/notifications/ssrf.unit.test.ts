import { describe, expect, it } from 'vitest';
import { checkResolvedAddresses, checkTargetUrl, classifyAddress, parseIPv6 } from './ssrf';

const prod = { allowLoopbackHttp: false };
const dev = { allowLoopbackHttp: true };

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['fd00:ec2::254', 'metadata'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (addr, cls) => {
    expect(classifyAddress(addr)).toBe(cls);
  });

  it('is null for names and malformed addresses', () => {
    expect(classifyAddress('example.com')).toBeNull();
    expect(classifyAddress('1.2.3')).toBeNull();
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('checkTargetUrl', () => {
  it.each([
    'http://169.254.169.254/',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.1/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://2130706433/',
    'https://0x7f.1/',
    'https://0177.0.0.1/',
    'https://localhost/',
    'https://api.localhost/',
    'https://metadata.google.internal/',
    'https://intranet/',
    'http://example.com/',
    'ftp://example.com/',
    'https://user:pw@example.com/',
    'not a url',
  ])('refuses %s in production', (url) => {
    expect(checkTargetUrl(url, prod).ok).toBe(false);
  });

  it('accepts public https targets', () => {
    expect(checkTargetUrl('https://hooks.example.com/x?y=1', prod)).toMatchObject({ ok: true, literal: false });
    expect(checkTargetUrl('https://8.8.8.8/', prod)).toMatchObject({ ok: true, literal: true });
  });

  it('allows only http://127.0.0.1 and http://localhost in development', () => {
    expect(checkTargetUrl('http://127.0.0.1:8080/hook', dev).ok).toBe(true);
    expect(checkTargetUrl('http://localhost:3000/', dev).ok).toBe(true);
    expect(checkTargetUrl('http://127.0.0.1:8080/hook', prod).ok).toBe(false);
    expect(checkTargetUrl('http://localhost/', prod).ok).toBe(false);
    expect(checkTargetUrl('https://[::1]/', dev).ok).toBe(false);
    expect(checkTargetUrl('http://10.0.0.1/', dev).ok).toBe(false);
    expect(checkTargetUrl('http://169.254.169.254/', dev).ok).toBe(false);
  });

  it('says why', () => {
    const r = checkTargetUrl('https://10.0.0.1/', prod);
    expect(r.ok === false && r.reason).toMatch(/private address/);
  });
});

describe('checkResolvedAddresses', () => {
  it('refuses any non-public address among the answers, and an empty answer', () => {
    expect(checkResolvedAddresses('a.example', ['93.184.216.34']).ok).toBe(true);
    expect(checkResolvedAddresses('a.example', ['93.184.216.34', '127.0.0.1']).ok).toBe(false);
    expect(checkResolvedAddresses('a.example', ['::ffff:10.0.0.1']).ok).toBe(false);
    expect(checkResolvedAddresses('a.example', []).ok).toBe(false);
  });
});
