import { join } from 'node:path';

/** What a throwaway single-node cluster's ceph.conf is made from. */
export interface CephConfigInput {
  folder: string;
  fsid: string;
  monitorPort: number;
  gatewayPort: number;
  /** The gateway's DNS name, for virtual-hosted-style requests (`bucket.<name>`). */
  dnsName: string;
  /** An HTTPS port too, with this PEM file (certificate and key); none when null. */
  tls: { port: number; pemFile: string } | null;
}

/**
 * ceph.conf for the smallest cluster that serves S3: one monitor, one OSD on memstore (objects in
 * RAM), one RADOS Gateway (beast) on 127.0.0.1 over HTTP (and HTTPS when given a certificate), no
 * cephx, pools of one replica and one placement group, every file in `folder`. Paxos proposes at
 * once rather than once a second, which brings the gateway's start (it creates its pools one by
 * one) from about 10 s down to under one; the clients' objecter and the monitor tick twice a second
 * and every second rather than every five (a write to a pool made before the OSD was up otherwise
 * waited for the next tick: 5 s, one start in four).
 */
export function cephConfig(input: CephConfigInput): string {
  const { folder } = input;
  const https = input.tls ? ` ssl_endpoint=127.0.0.1:${input.tls.port} ssl_certificate=${input.tls.pemFile}` : '';
  return `[global]
fsid = ${input.fsid}
mon host = v2:127.0.0.1:${input.monitorPort}
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.01
paxos min wait = 0.001
mon tick interval = 1
objecter tick interval = 0.5
run dir = ${join(folder, 'run')}
pid file = ${join(folder, 'run', '$name.pid')}
admin socket = ${join(folder, 'run', '$name.asok')}
log file = ${join(folder, 'log', '$name.log')}
log to stderr = false
crash dir = ${join(folder, 'crash')}
keyring = ${join(folder, 'keyring')}

[mon]
mon data = ${join(folder, '$name')}
mon cluster log file = ${join(folder, 'log', 'cluster.log')}

[osd]
osd data = ${join(folder, '$name')}
osd objectstore = memstore
memstore device bytes = 2147483648

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${input.gatewayPort}${https}
rgw dns name = ${input.dnsName}
rgw data = ${join(folder, 'rgw')}
`;
}
