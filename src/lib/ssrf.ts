// The address guard of outbound requests. Task templates are written by users, so without it any user
// could make the server fetch its own admin pages, the LAN, or the cloud provider's credentials.
// The guard judges IP addresses, never URL text: `guardedConnector` applies it to literal IP hosts
// just before connecting and, through `guardedLookup`, to every address DNS returns at connect time,
// so a name that resolves to 127.0.0.1 (or re-resolves to it later: DNS rebinding) is refused too.
import dns from 'node:dns';
import net from 'node:net';
import { buildConnector } from 'undici';

// Ordered: the first matching rule names the reason, so the specific metadata addresses come before
// the ranges that contain them (169.254.169.254 is also link-local, 100.100.100.200 also CGNAT).
const RULES: [reason: string, family: 'ipv4' | 'ipv6', network: string, prefix: number][] = [
  ['cloud metadata', 'ipv4', '169.254.169.254', 32], // AWS, GCP, Azure, OpenStack …
  ['cloud metadata', 'ipv4', '100.100.100.200', 32], // Alibaba Cloud
  ['cloud metadata', 'ipv6', 'fd00:ec2::254', 128], // AWS over IPv6
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['loopback', 'ipv6', '::1', 128],
  ['unspecified', 'ipv6', '::', 128],
  ['"this network" (0.0.0.0/8)', 'ipv4', '0.0.0.0', 8], // 0.0.0.0 reaches the local host on Linux
  // ::a.b.c.d, deprecated; nothing public lives there and some stacks still route it to IPv4.
  ['IPv4-compatible IPv6', 'ipv6', '::', 96],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['private', 'ipv6', 'fc00::', 7],
  ['private', 'ipv6', 'fec0::', 10], // deprecated site-local, still private in practice
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['shared (carrier-grade NAT)', 'ipv4', '100.64.0.0', 10],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['multicast', 'ipv6', 'ff00::', 8],
  ['broadcast', 'ipv4', '255.255.255.255', 32],
  ['reserved', 'ipv4', '240.0.0.0', 4],
];

// One BlockList per rule. node:net's BlockList also matches IPv4-mapped IPv6 forms
// (::ffff:127.0.0.1, ::ffff:7f00:1) against IPv4 rules, which the tests pin down.
const LISTS = RULES.map(([reason, family, network, prefix]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, family);
  return { reason, list };
});

const METADATA = 'cloud metadata';

/**
 * Why `address` (an IP literal) must not be contacted, or undefined when it may be. With
 * `allowPrivate` (ALLOW_PRIVATE_NETWORK) only cloud metadata addresses stay blocked: that setting is
 * for reaching services on the LAN, never the provider's credential endpoint.
 */
export function blockedReason(address: string, allowPrivate = false): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets of URLs, IPv6 zone ids
  const version = net.isIP(ip);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const reason = LISTS.find(({ list }) => list.check(ip, family))?.reason;
  return allowPrivate && reason !== METADATA ? undefined : reason;
}

/**
 * The words shown to the user, e.g. "refused to connect to localhost (127.0.0.1): loopback addresses
 * are blocked; …". `role` names what was contacted when it is not the target itself ("the proxy ").
 */
export function refusalMessage(host: string, address: string, reason: string, role = ''): string {
  const target = host === address ? address : `${host} (${address})`;
  if (reason === METADATA) return `refused to connect to ${role}${target}: cloud metadata addresses are always blocked`;
  return `refused to connect to ${role}${target}: ${reason} addresses are blocked; set ALLOW_PRIVATE_NETWORK=true to allow them`;
}

export type Refuse = (host: string, address: string, reason: string) => Error;

/**
 * A `lookup` for net/tls.connect that resolves as usual, then refuses the connection when any of the
 * addresses is blocked (all of them, not only the first: the socket may fall back to any of them).
 * Node asks with `all: true` when it races IPv4 and IPv6 (autoSelectFamily), else for one address.
 */
export function guardedLookup(refuse: Refuse, allowPrivate = false): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      for (const { address } of addresses) {
        const reason = blockedReason(address, allowPrivate);
        if (reason) return callback(refuse(hostname, address, reason), '', 0);
      }
      // dns reports an empty answer as ENOTFOUND, so there is at least one address here.
      if (options.all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * An undici connector that judges every address it connects to: names through `guardedLookup`, and
 * literal IP hosts (which never reach `lookup`) just before connecting.
 */
export function guardedConnector(options: buildConnector.BuildOptions, refuse: Refuse, allowPrivate = false): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: guardedLookup(refuse, allowPrivate) });
  return (opts, callback) => {
    const reason = blockedReason(opts.hostname, allowPrivate);
    if (reason) callback(refuse(opts.hostname, opts.hostname, reason), null);
    else connect(opts, callback);
  };
}

/**
 * Resolves `hostname` and throws when any address is blocked. For requests sent through a proxy,
 * where the proxy (not us) connects to the target and our connect-time lookup never sees it.
 */
export async function assertPublicHost(hostname: string, refuse: Refuse, allowPrivate = false): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    const reason = blockedReason(address, allowPrivate);
    if (reason) throw refuse(host, address, reason);
  }
}
