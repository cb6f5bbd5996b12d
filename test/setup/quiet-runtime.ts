import { DefaultLogger, Runtime } from '@temporalio/worker';

// SDK logs at WARN and above only, so test output shows what matters. Set TEST_LOG_LEVEL=info to see everything.
Runtime.install({ logger: new DefaultLogger(process.env.TEST_LOG_LEVEL === 'info' ? 'INFO' : 'WARN') });
