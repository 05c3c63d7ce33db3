// Starts the test S3 server, prints its folder as one JSON line and waits to be killed: how
// s3-server.test.ts checks that a test process that dies leaves no daemon and no folder behind.
import { startS3Server } from '../helpers/s3-server';

void startS3Server().then((server) => {
  process.stdout.write(`${JSON.stringify({ folder: server.folder, endpoint: server.endpoint })}\n`);
  setInterval(() => undefined, 60_000);
});
