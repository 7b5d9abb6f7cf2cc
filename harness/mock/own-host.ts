import type { Server } from 'node:http';
// Which Host headers name the mock backend itself. A page of another site can reach a loopback port by DNS rebinding
// (its name re-pointed at 127.0.0.1 while a run is up), but its requests still carry that site's name as Host: the
// backend answers only requests that name its own address and port, as the browser it drives does.

/** The Host values of a server listening on `address`:`port`, in lower case. */
export function ownHosts(address: string, port: number): ReadonlySet<string> {
  const names =
    address === '127.0.0.1'
      ? ['127.0.0.1', 'localhost']
      : address === '::1'
        ? ['[::1]', 'localhost']
        : [address.includes(':') ? `[${address}]` : address];
  const hosts = names.map((n) => `${n}:${port}`);
  // A client leaves out the scheme's default port.
  if (port === 80) hosts.push(...names);
  return new Set(hosts);
}

/** Whether a request's Host header names this server (Host names are case-insensitive). */
export const isOwnHost = (host: string | undefined, own: ReadonlySet<string>): boolean =>
  host !== undefined && own.has(host.toLowerCase());

/**
 * Binds `server` to 127.0.0.1 (`port`, or a free one) and returns its origin and the Host values that name it.
 * A busy fixed port is one sentence with the fix; `what` names the server for the message a bind cannot give.
 */
export async function listenOnLoopback(
  server: Server,
  port: number | undefined,
  what: string,
): Promise<{ origin: string; hosts: ReadonlySet<string> }> {
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new Error(
              `sse-harness: port ${port} on 127.0.0.1 is already in use. Pick another with --port, or leave it out to get a free one.`,
            )
          : e,
      ),
    );
    server.listen(port ?? 0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error(`sse-harness: ${what} has no TCP address`);
  return { origin: `http://127.0.0.1:${addr.port}`, hosts: ownHosts(addr.address, addr.port) };
}
