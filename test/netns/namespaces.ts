/**
 * Separate hosts on this machine: Linux network namespaces, one per host, each with one veth
 * interface plugged into a bridge that lives in a namespace of its own, so nothing is added to
 * the host's own network. Addresses come from 10.213.<n>.0/24 and exist only inside the namespaces
 * created here; the host namespace never sends to them. Everything is removed in `destroy`,
 * whatever happened. Needs root (CAP_NET_ADMIN); `tryCreate` says why when it cannot.
 *
 * The kernel here has no netem, so links have no added delay or loss; `shapeUplink` uses tbf for
 * bandwidth, which the kernel does have.
 */
import { execFileSync } from 'node:child_process';

export interface Host {
  readonly namespace: string;
  readonly address: string;
  readonly device: string;
}

export interface Hosts {
  readonly hosts: readonly Host[];
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates `count` hosts on one bridge, or returns why it cannot. */
export function tryCreate(count: number): Hosts | { readonly unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { unavailable: 'creating network namespaces needs root' };
  // Names unique to this process, short enough for interface names (15 characters).
  const tag = `pg${process.pid % 100_000}`;
  const subnet = `10.213.${process.pid % 250}`;
  const bridgeNamespace = `${tag}-br`;
  const created: string[] = [];
  const destroy = (): void => {
    // Deleting a namespace deletes the interfaces in it, and a veth pair goes with either end.
    for (const namespace of created.reverse()) {
      try {
        ip('netns', 'del', namespace);
      } catch {
        // Already gone.
      }
    }
    created.length = 0;
  };
  try {
    ip('netns', 'add', bridgeNamespace);
    created.push(bridgeNamespace);
    ip('-n', bridgeNamespace, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', bridgeNamespace, 'link', 'set', 'br0', 'up');
    const hosts: Host[] = [];
    for (let index = 0; index < count; index++) {
      const namespace = `${tag}-h${index}`;
      ip('netns', 'add', namespace);
      created.push(namespace);
      // Both ends are created inside the namespaces, so the host namespace never holds either.
      ip('-n', namespace, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `port${index}`, 'netns', bridgeNamespace);
      ip('-n', bridgeNamespace, 'link', 'set', `port${index}`, 'master', 'br0');
      ip('-n', bridgeNamespace, 'link', 'set', `port${index}`, 'up');
      const address = `${subnet}.${index + 1}`;
      ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      ip('-n', namespace, 'link', 'set', 'lo', 'up');
      // A LAN host sends multicast (mDNS) out of its default route; these hosts have none, so the
      // multicast range is routed to the bridge, and stays inside the namespaces made here.
      ip('-n', namespace, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
      hosts.push({ namespace, address, device: 'eth0' });
    }
    return { hosts, destroy };
  } catch (error) {
    destroy();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { unavailable: `cannot create network namespaces: ${stderr || (error as Error).message}` };
  }
}

/** Limits a host's outgoing bandwidth with tbf (token bucket filter). */
export function shapeUplink(host: Host, rateKbit: number): void {
  ip('netns', 'exec', host.namespace, 'tc', 'qdisc', 'add', 'dev', host.device, 'root', 'tbf', 'rate', `${rateKbit}kbit`, 'burst', '32kbit', 'latency', '400ms');
}
