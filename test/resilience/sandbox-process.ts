import { loadConfig } from '../../src/config';
import { createSandbox, sandboxKeys } from '../../src/sandbox/server';

// The sandbox in a process of its own, as a provider is. In the test process its clock would stall with the
// sender's work, and requests that left on time would be counted late and bunched up with the next ones; here the
// arrivals it logs are those a real provider's limiter would count. Speaks to its parent over IPC: it sends
// { url } once listening, and answers 'messages' with the email platform's messages. It exits when the parent goes.
async function main(): Promise<void> {
  const sandbox = createSandbox(sandboxKeys(loadConfig({ NODE_ENV: 'test' })));
  const { url } = await sandbox.listen(0);
  process.on('message', (msg) => {
    if (msg === 'messages') process.send!({ messages: sandbox.data['email-platform'].messages });
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ url });
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
