import { describe, expect, it } from 'vitest';
import { redact, Redactor } from '../../src/report/redact.js';

const known = {
  hosts: ['gpu-box-07.lab.example.org'],
  users: ['alice'],
  homes: [{ path: '/home/alice', user: 'alice' }],
  macs: ['3C:EC:EF:12:34:56'],
  ips: ['10.20.30.40'],
  machineIds: ['0123456789abcdef0123456789abcdef'],
};

describe('Redactor', () => {
  it('replaces host, user, home, MAC, IP, UUID and machine id with stable placeholders', () => {
    const input = {
      environment: { host: 'gpu-box-07.lab.example.org', runtimes: { levelZeroLoader: '1.3.26.0' }, variables: {} },
      tool: { command: 'xpudiag run /home/alice/suites/s.yaml --out /home/alice/r' },
      notes: [
        'gpu-box-07 at 10.20.30.40 (3c:ec:ef:12:34:56), also 10.20.30.40',
        'card GPU-6F1C7A52-9D0E-4B43-A1F2-55C0DE7B2A91 and gpu-6f1c7a52-9d0e-4b43-a1f2-55c0de7b2a91',
        'machine 0123456789abcdef0123456789abcdef, user alice, peer fe80::1c2b:3ff:fe4d:5e6f%eth0, link 192.168.7.9.',
        'other user /home/bob/x and /Users/carol/y; bob again',
      ],
    };
    const { value } = redact(input, known);
    expect(value.environment.host).toBe('<host>');
    expect(value.tool.command).toBe('xpudiag run /home/<user>/suites/s.yaml --out /home/<user>/r');
    expect(value.notes[0]).toBe('<host> at <ip-1> (<mac-1>), also <ip-1>');
    expect(value.notes[1]).toBe('card GPU-<uuid-1> and gpu-<uuid-1>');
    expect(value.notes[2]).toBe('machine <machine-id>, user <user>, peer <ip-2>, link <ip-3>.');
    expect(value.notes[3]).toBe('other user /home/<user-2>/x and /home/<user-3>/y; <user-2> again');
    // A dotted quad in a version field is a version.
    expect(value.environment.runtimes.levelZeroLoader).toBe('1.3.26.0');
  });

  it('learns the host and serials from the report itself, and walks keys too', () => {
    const { value } = redact({
      environment: { host: 'node17', devices: [{ name: 'Arc', extra: { serialNumber: 'XK12-99', uuid: 'not-a-uuid-shape' } }] },
      results: [{ stderrTail: 'node17: device XK12-99 lost', metrics: { 'drm-pdev node17': 1 } }],
    });
    expect(value.environment.host).toBe('<host>');
    expect(value.environment.devices[0]!.extra.serialNumber).toBe('<serial-1>');
    expect(value.environment.devices[0]!.extra.uuid).toBe('<uuid-1>');
    expect(value.results[0]!.stderrTail).toBe('<host>: device <serial-1> lost');
    expect(Object.keys(value.results[0]!.metrics)).toEqual(['drm-pdev <host>']);
  });

  it('leaves what only looks like an identifier: times, C++ scopes, hashes, metric names', () => {
    const text = 'at 2026-11-22T04:06:25.106Z std::vector sha 4d9da7658bb01c5cf6f13b3598520129ddfb833559cbaba7058c03ff0bba0bf5 vmRSS 12:30:45';
    const r = new Redactor({ hosts: ['vm'] });
    expect(r.text(text)).toBe(text);
    expect(r.text('host vm is up')).toBe('host <host> is up');
  });

  it('never redacts its own vocabulary, even if the machine is called "host"', () => {
    const { value } = redact({ environment: { host: 'host' }, results: [{ backend: 'host', status: 'pass' }] }, { hosts: ['host'] });
    expect(value.results[0]!.backend).toBe('host');
  });

  it('does not redact placeholders again, in any of their renderings', () => {
    const r = new Redactor({ users: ['user'] });
    expect(r.text('user <user> &lt;user&gt; \\u003cuser\\u003e')).toBe('<user> <user> &lt;user&gt; \\u003cuser\\u003e');
  });

  it('known() replaces only learnt values, escaping new placeholders for the output syntax', () => {
    const r = new Redactor(known);
    r.learn({ x: 'GPU-6f1c7a52-9d0e-4b43-a1f2-55c0de7b2a91' });
    const html = r.known('<p>alice on gpu-box-07, 1.2.3.4, 6f1c7a52-9d0e-4b43-a1f2-55c0de7b2a91</p>', (p) => p.replace('<', '&lt;').replace('>', '&gt;'));
    expect(html).toBe('<p>&lt;user&gt; on &lt;host&gt;, 1.2.3.4, &lt;uuid-1&gt;</p>');
  });

  it('does not change its input', () => {
    const input = { environment: { host: 'gpu-box-07' } };
    redact(input, known);
    expect(input.environment.host).toBe('gpu-box-07');
  });
});
