import { DefaultFailureConverter } from '@temporalio/common';

// Loaded by path (createDataConverter's failureConverterPath) in the workers, the clients and the workflow bundle:
// failure messages and stack traces can quote customer data, so they travel as an encoded payload the codec encrypts.
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
