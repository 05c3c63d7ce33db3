import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cephConfig } from './ceph-config';

/** A running S3 service for tests: Ceph's RADOS Gateway on a throwaway single-node cluster. */
export interface S3Server {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  port: number;
  /** The gateway's DNS name: a virtual-hosted-style request is sent to 127.0.0.1 with Host `bucket.<dnsName>:PORT`. */
  dnsName: string;
  /** The same gateway over HTTPS, with the self-signed certificate (PEM) to trust; null where openssl is missing. */
  tls: { endpoint: string; certificate: string } | null;
  /** The keys of an S3 user made for the test (uid `dormouse-test`). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Makes another S3 user on the running gateway (radosgw-admin), with keys of its own and no bucket. */
  createUser(uid: string): Promise<S3User>;
  /** The cluster's folder: ceph.conf, log/ (one log per daemon), pids. Gone after stop(). */
  folder: string;
  /** How long the cluster took to start, in milliseconds. */
  startMs: number;
  /** Stops every daemon and removes the cluster's folder. */
  stop(): Promise<void>;
}

/** An S3 user of the test gateway: its uid (`arn:aws:iam:::user/UID` in a bucket policy) and keys. */
export interface S3User {
  uid: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const binaries = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'monmaptool'];

function missingBinaries(): string[] {
  return binaries.filter((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0);
}

/** Why the S3 tests cannot run here (to pass as `skip`), or false when they can. */
export const noCeph: string | false = (() => {
  const missing = missingBinaries();
  return missing.length === 0 ? false : `Ceph's RADOS Gateway is not installed (${missing.join(', ')} missing): apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd; .ci/run installs it`;
})();

const run = promisify(execFile);

/** Why HTTPS cannot be tested here, or false: the certificate is made with openssl. */
export const noOpenssl: string | false = spawnSync('sh', ['-c', 'command -v openssl']).status === 0 ? false : 'openssl is not installed (apt-get install -y openssl); .ci/run installs it';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port on 127.0.0.1');
  return address.port;
}

function tail(path: string, lines = 15): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
}

function gatewayAnswers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(endpoint, { timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/**
 * One throwaway cluster in a temporary folder: its daemons (children of this process, listed in
 * FOLDER/pids for the orphan reaper), its config and logs.
 */
class Cluster {
  readonly folder = mkdtempSync(join(tmpdir(), 'dormouse-ceph-'));
  readonly config = join(this.folder, 'ceph.conf');
  /** Daemons that ended on their own, with the end of their logs. */
  readonly exited: string[] = [];
  private stopping = false;
  private readonly daemons: ChildProcess[] = [];
  private readonly output = openSync(join(this.folder, 'daemons.log'), 'a');

  constructor() {
    for (const sub of ['run', 'log', 'crash', 'rgw']) mkdirSync(join(this.folder, sub));
    writeFileSync(join(this.folder, 'pids'), '');
    // Removes the folder and kills the daemons if this process dies without stopping them.
    spawn(process.execPath, [join(__dirname, 'orphan-reaper.mjs'), String(process.pid), this.folder], { detached: true, stdio: 'ignore' }).unref();
  }

  /** Runs a Ceph command to its end; fails with its output. */
  async command(step: string, file: string, args: string[]): Promise<string> {
    try {
      const { stdout } = await run(file, ['-c', this.config, ...args], { timeout: 30_000, encoding: 'utf8' });
      return stdout;
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      const said = (failure.stderr || failure.message).trim().split('\n').slice(0, 4).join('\n');
      throw new Error(`${step} failed: ${said}`);
    }
  }

  /** Starts a daemon in the foreground, as a child of this process. */
  daemon(name: string, file: string, args: string[]): void {
    const child = spawn(file, ['-c', this.config, '-f', ...args], { stdio: ['ignore', this.output, this.output] });
    child.on('error', () => undefined);
    if (child.pid !== undefined) appendFileSync(join(this.folder, 'pids'), `${child.pid}\n`);
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.exited.push(`${name} exited (${signal ?? code}):\n${tail(join(this.folder, 'log', `${name}.log`))}\n${tail(join(this.folder, 'daemons.log'), 5)}`);
    });
    this.daemons.push(child);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.daemons.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return gone;
      }),
    );
    closeSync(this.output);
    rmSync(this.folder, { recursive: true, force: true });
  }
}

async function waitForGateway(cluster: Cluster, endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cluster.exited.length > 0) throw new Error(cluster.exited.join('\n'));
    if (await gatewayAnswers(endpoint)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the gateway did not answer at ${endpoint} within ${timeoutMs / 1000} s:\n${tail(join(cluster.folder, 'log', 'client.rgw.log'))}`);
}

/** A self-signed certificate for 127.0.0.1 and the gateway's names, with its key, in one PEM file. */
async function makeCertificate(cluster: Cluster, dnsName: string): Promise<{ pemFile: string; certificate: string }> {
  const key = join(cluster.folder, 'tls.key');
  const certificateFile = join(cluster.folder, 'tls.crt');
  const names = `subjectAltName=IP:127.0.0.1,DNS:${dnsName},DNS:*.${dnsName}`;
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', certificateFile, '-days', '2', '-subj', '/CN=dormouse-test-s3', '-addext', names]);
  const certificate = readFileSync(certificateFile, 'utf8');
  const pemFile = join(cluster.folder, 'tls.pem');
  writeFileSync(pemFile, certificate + readFileSync(key, 'utf8'));
  return { pemFile, certificate };
}

interface Ports {
  monitor: number;
  gateway: number;
  https: number;
}

async function startCluster(cluster: Cluster, ports: Ports, dnsName: string): Promise<{ accessKeyId: string; secretAccessKey: string; certificate: string | null }> {
  const fsid = randomUUID();
  const monitorPort = ports.monitor;
  const gatewayPort = ports.gateway;
  const tls = noOpenssl ? null : await makeCertificate(cluster, dnsName);
  writeFileSync(cluster.config, cephConfig({ folder: cluster.folder, fsid, monitorPort, gatewayPort, dnsName, tls: tls && { port: ports.https, pemFile: tls.pemFile } }));
  const monmap = join(cluster.folder, 'monmap');
  await cluster.command('monmaptool', 'monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monitorPort}]`, monmap]);
  await cluster.command('ceph-mon --mkfs', 'ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap]);
  cluster.daemon('mon.a', 'ceph-mon', ['-i', 'a']);

  const osdUuid = randomUUID();
  const osdId = (await cluster.command('ceph osd new', 'ceph', ['--connect-timeout', '20', 'osd', 'new', osdUuid])).trim();
  mkdirSync(join(cluster.folder, `osd.${osdId}`));
  await cluster.command('ceph-osd --mkfs', 'ceph-osd', ['-i', osdId, '--mkfs', '--osd-uuid', osdUuid]);
  cluster.daemon(`osd.${osdId}`, 'ceph-osd', ['-i', osdId]);

  cluster.daemon('client.rgw', 'radosgw', ['-n', 'client.rgw']);
  await waitForGateway(cluster, `http://127.0.0.1:${gatewayPort}/`, 60_000);

  const { accessKeyId, secretAccessKey } = await createUser(cluster, 'dormouse-test');
  return { accessKeyId, secretAccessKey, certificate: tls?.certificate ?? null };
}

/** Makes an S3 user with fresh keys on the cluster's gateway. */
async function createUser(cluster: Cluster, uid: string): Promise<S3User> {
  const accessKeyId = `DORMOUSE${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  await cluster.command(`radosgw-admin user create ${uid}`, 'radosgw-admin', ['user', 'create', '--uid', uid, '--display-name', `Dormouse test ${uid}`, '--access-key', accessKeyId, '--secret', secretAccessKey]);
  return { uid, accessKeyId, secretAccessKey };
}

/**
 * Starts Ceph's RADOS Gateway on a single-node cluster made for this test file (1–2 s: a monitor,
 * one OSD on memstore, the gateway on free ports of 127.0.0.1, HTTP and HTTPS) with one S3 user, and
 * returns its endpoint and keys; createUser() makes more users. stop() ends every daemon and removes the folder; if the test
 * process dies first, a small reaper process does both. Works as root and as a normal user.
 */
export async function startS3Server(): Promise<S3Server> {
  if (noCeph) throw new Error(noCeph);
  const started = Date.now();
  const cluster = new Cluster();
  const ports: Ports = { monitor: await freePort(), gateway: 0, https: 0 };
  while ([0, ports.monitor].includes(ports.gateway)) ports.gateway = await freePort();
  while ([0, ports.monitor, ports.gateway].includes(ports.https)) ports.https = await freePort();
  const dnsName = 's3.dormouse.test';
  try {
    const { certificate, ...keys } = await startCluster(cluster, ports, dnsName);
    return {
      endpoint: `http://127.0.0.1:${ports.gateway}`,
      port: ports.gateway,
      dnsName,
      tls: certificate === null ? null : { endpoint: `https://127.0.0.1:${ports.https}`, certificate },
      ...keys,
      createUser: (uid) => createUser(cluster, uid),
      folder: cluster.folder,
      startMs: Date.now() - started,
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw new Error(`the test S3 server (Ceph RADOS Gateway) did not start: ${(error as Error).message}`);
  }
}
