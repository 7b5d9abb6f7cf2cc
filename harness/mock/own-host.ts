// Which Host headers name the mock backend itself. A page of another site can reach a loopback port by DNS rebinding
// (its name re-pointed at 127.0.0.1 while a run is up), but its requests still carry that site's name as Host: the
// backend answers only requests that name its own address and port, as the browser it drives does.

/** The Host values of a server listening on `address`:`port`, in lower case. */
export function ownHosts(address: string, port: number): ReadonlySet<string> {
  const names =
    address === '127.0.0.1' ? ['127.0.0.1', 'localhost'] : address === '::1' ? ['[::1]', 'localhost'] : [address.includes(':') ? `[${address}]` : address];
  const hosts = names.map((n) => `${n}:${port}`);
  // A client leaves out the scheme's default port.
  if (port === 80) hosts.push(...names);
  return new Set(hosts);
}

/** Whether a request's Host header names this server (Host names are case-insensitive). */
export const isOwnHost = (host: string | undefined, own: ReadonlySet<string>): boolean => host !== undefined && own.has(host.toLowerCase());
