import { Client } from '@temporalio/client';
import { readingDataConverter } from './codec';

// Listing executions or describing a schedule decodes every memo and argument in it, so one payload under a removed
// key fails the whole list. The views that only show what they read take this client instead: such a payload reads
// as an UnreadablePayload naming its key (src/temporal/codec.ts), and the rest of the view is shown.

const reading = new WeakMap<Client, Client>();

/** A client on `client`'s connection and namespace whose decoding marks a payload under a missing key (cached). */
export function readingClient(client: Client): Client {
  let found = reading.get(client);
  if (!found) {
    found = new Client({
      connection: client.connection,
      namespace: client.options.namespace,
      identity: client.options.identity,
      dataConverter: readingDataConverter(client.options.dataConverter),
    });
    reading.set(client, found);
  }
  return found;
}
